//! The checks every service applies to a short, human-entered text field.

use crate::FieldError;

/// A one-line text such as a name: trimmed, 1 to `max_chars` characters, no control
/// characters; the error names `field`.
pub fn single_line(field: &str, raw: &str, max_chars: usize) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::single_line;

    #[test]
    fn trims_and_counts_characters_not_bytes() {
        assert_eq!(single_line("name", "  Zoë  ", 3).unwrap(), "Zoë");
        assert_eq!(
            single_line("name", "Zoës", 3).unwrap_err().message,
            "must be at most 3 characters"
        );
    }

    #[test]
    fn refuses_blank_and_control_characters_naming_the_field() {
        let blank = single_line("title", " \t ", 10).unwrap_err();
        assert_eq!(
            (blank.field.as_str(), blank.message.as_str()),
            ("title", "must not be empty")
        );
        let control = single_line("title", "a\nb", 10).unwrap_err();
        assert_eq!(control.message, "must not contain control characters");
    }
}
