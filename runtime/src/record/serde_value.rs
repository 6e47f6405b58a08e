//! `#[seclog(serde)]`: trusting a field type's `Serialize`.

use serde::Serialize;

use super::encoder::Encoder;
use super::loggable::Loggable;

/// Records a value through its `Serialize` impl, with the limits and escaping of every other
/// value. Used for fields marked `#[seclog(serde)]`.
pub struct SerdeValue<'a, T: ?Sized>(pub &'a T);

impl<T: Serialize + ?Sized> Loggable for SerdeValue<'_, T> {
    fn log(&self, out: &mut Encoder<'_>) {
        match serde_json::to_value(self.0) {
            Ok(v) => out.value(&v),
            Err(e) => out.display(&format_args!("[unloggable: {e}]")),
        }
    }
}
