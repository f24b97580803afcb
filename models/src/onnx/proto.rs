//! The few protobuf wire-format rules an ONNX file needs: varints, fixed 32/64-bit values and
//! length-delimited fields. Messages are walked field by field; unknown fields are skipped, as
//! protobuf requires.

use crate::ModelError;

/// One field's payload, borrowed from the buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Varint(u64),
    /// Read but never needed by our graphs (doubles, fixed64 integers).
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// Reads the fields of one message in order.
pub(crate) struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Message name used in error messages.
    what: &'static str,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(buf: &'a [u8], what: &'static str) -> Self {
        Fields { buf, pos: 0, what }
    }

    fn err(&self, msg: impl Into<String>) -> ModelError {
        ModelError::bad_onnx(msg, format!("{} at byte {}", self.what, self.pos))
    }

    fn varint(&mut self) -> Result<u64, ModelError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.buf.get(self.pos) else {
                return Err(self.err("truncated varint"));
            };
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.err("varint longer than 10 bytes"))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], ModelError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| self.err(format!("field of {len} bytes runs past the end")))?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    /// The next `(field number, value)`, or `None` at the end of the message.
    pub(crate) fn next_field(&mut self) -> Result<Option<(u32, Value<'a>)>, ModelError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = u32::try_from(key >> 3).map_err(|_| self.err("field number too large"))?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed64
            }
            2 => {
                let len = self.varint()?;
                let len = usize::try_from(len).map_err(|_| self.err("length too large"))?;
                Value::Bytes(self.take(len)?)
            }
            5 => {
                let b = self.take(4)?;
                Value::Fixed32(u32::from_le_bytes(b.try_into().expect("4 bytes")))
            }
            wire => return Err(self.err(format!("unsupported wire type {wire}"))),
        };
        Ok(Some((field, value)))
    }
}

/// Decodes a string field.
pub(crate) fn string(value: Value<'_>, what: &str) -> Result<String, ModelError> {
    match value {
        Value::Bytes(b) => {
            String::from_utf8(b.to_vec()).map_err(|_| ModelError::bad_onnx("string is not UTF-8", what))
        }
        _ => Err(ModelError::bad_onnx("expected a string field", what)),
    }
}

/// Decodes a length-delimited sub-message.
pub(crate) fn bytes<'a>(value: Value<'a>, what: &str) -> Result<&'a [u8], ModelError> {
    match value {
        Value::Bytes(b) => Ok(b),
        _ => Err(ModelError::bad_onnx("expected a length-delimited field", what)),
    }
}

/// Appends a repeated varint field, packed or not, to `out`.
pub(crate) fn push_varints(
    value: Value<'_>,
    out: &mut Vec<u64>,
    what: &'static str,
) -> Result<(), ModelError> {
    match value {
        Value::Varint(v) => out.push(v),
        Value::Bytes(b) => {
            let mut packed = Fields::new(b, what);
            while packed.pos < b.len() {
                out.push(packed.varint()?);
            }
        }
        _ => return Err(ModelError::bad_onnx("expected varints", what)),
    }
    Ok(())
}

/// Appends a repeated `float` field, packed or not, to `out`.
pub(crate) fn push_floats(value: Value<'_>, out: &mut Vec<f32>, what: &str) -> Result<(), ModelError> {
    match value {
        Value::Fixed32(v) => out.push(f32::from_bits(v)),
        Value::Bytes(b) => {
            if b.len() % 4 != 0 {
                return Err(ModelError::bad_onnx("packed floats not a multiple of 4 bytes", what));
            }
            out.extend(b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))));
        }
        _ => return Err(ModelError::bad_onnx("expected floats", what)),
    }
    Ok(())
}
