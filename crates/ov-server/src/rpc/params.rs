//! Typed access to JSON-RPC parameters, with OpenVidu's error for a missing element.

use ov_protocol::rpc::ErrorCode;
use serde_json::{Map, Value};

use crate::domain::SignalingError;

/// The `params` object of a request.
pub struct Params<'a> {
    method: &'a str,
    map: Option<&'a Map<String, Value>>,
}

impl<'a> Params<'a> {
    /// Wraps the params of `method` (anything but an object counts as none).
    pub fn new(method: &'a str, params: Option<&'a Value>) -> Self {
        Params {
            method,
            map: params.and_then(Value::as_object),
        }
    }

    fn missing(&self, key: &str) -> SignalingError {
        SignalingError::new(
            ErrorCode::Uncaught,
            format!(
                "Request element '{key}' is missing in RPC method '{}'. Check that 'openvidu-server' and 'openvidu-browser' versions are compatible with each other",
                self.method
            ),
        )
    }

    fn wrong_type(&self, key: &str, expected: &str) -> SignalingError {
        SignalingError::new(
            ErrorCode::Uncaught,
            format!(
                "Request element '{key}' of RPC method '{}' must be {expected}",
                self.method
            ),
        )
    }

    /// The raw value of `key`, `None` when absent or null.
    pub fn value(&self, key: &str) -> Option<&'a Value> {
        self.map?.get(key).filter(|v| !v.is_null())
    }

    /// A required string.
    pub fn string(&self, key: &str) -> Result<&'a str, SignalingError> {
        match self.value(key) {
            None => Err(self.missing(key)),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(self.wrong_type(key, "a string")),
        }
    }

    /// An optional string.
    pub fn opt_string(&self, key: &str) -> Result<Option<&'a str>, SignalingError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong_type(key, "a string")),
        }
    }

    /// A required boolean.
    pub fn boolean(&self, key: &str) -> Result<bool, SignalingError> {
        self.opt_boolean(key)?.ok_or_else(|| self.missing(key))
    }

    /// An optional boolean.
    pub fn opt_boolean(&self, key: &str) -> Result<Option<bool>, SignalingError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong_type(key, "a boolean")),
        }
    }

    /// An optional integer.
    pub fn opt_integer(&self, key: &str) -> Result<Option<i64>, SignalingError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| self.wrong_type(key, "an integer")),
            Some(_) => Err(self.wrong_type(key, "an integer")),
        }
    }

    /// A required value of any type.
    pub fn any(&self, key: &str) -> Result<&'a Value, SignalingError> {
        self.map
            .and_then(|m| m.get(key))
            .ok_or_else(|| self.missing(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_access_and_errors() {
        let v = json!({"s": "x", "b": true, "n": 5, "f": 2.9, "z": null});
        let p = Params::new("m", Some(&v));
        assert_eq!(p.string("s").unwrap(), "x");
        assert!(p.boolean("b").unwrap());
        assert_eq!(p.opt_integer("n").unwrap(), Some(5));
        assert_eq!(p.opt_integer("f").unwrap(), Some(2));
        assert_eq!(p.opt_string("z").unwrap(), None);
        let e = p.string("missing").unwrap_err();
        assert_eq!(e.code, ErrorCode::Uncaught);
        assert!(e.message.contains("'missing' is missing in RPC method 'm'"));
        assert!(
            p.string("b")
                .unwrap_err()
                .message
                .contains("must be a string")
        );
        assert!(Params::new("m", Some(&json!([1]))).string("s").is_err());
    }
}
