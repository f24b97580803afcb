//! The one error type of the core, with a stable machine-readable code per kind.

/// What went wrong, independent of how it is shown. Front ends branch on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The library file could not be opened, read or written.
    Database,
    /// The library was written by a newer Kindred and this one must not touch it.
    SchemaTooNew,
    /// A file or folder named by the user could not be used.
    Io,
    /// Something the user asked for does not exist.
    NotFound,
    /// The user's input does not make sense (a bad date, an empty name, ...).
    InvalidInput,
    /// The face models could not be found, verified or run.
    Model,
    /// The user cancelled the job.
    Cancelled,
}

impl ErrorKind {
    /// A stable identifier, safe to match on in scripts and in the UI.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Database => "database",
            ErrorKind::SchemaTooNew => "schema_too_new",
            ErrorKind::Io => "io",
            ErrorKind::NotFound => "not_found",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Model => "model",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

/// An error of the core: a kind to branch on and a message that says what and where.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into(), source: None }
    }

    pub fn with_source(
        kind: ErrorKind,
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error { kind, message: message.into(), source: Some(Box::new(source)) }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub(crate) fn cancelled() -> Error {
        Error::new(ErrorKind::Cancelled, "cancelled by the user")
    }

    pub(crate) fn io(path: &std::path::Path, what: &str, source: std::io::Error) -> Error {
        let kind =
            if source.kind() == std::io::ErrorKind::NotFound { ErrorKind::NotFound } else { ErrorKind::Io };
        Error::with_source(kind, format!("{what} {}: {source}", path.display()), source)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(source: rusqlite::Error) -> Error {
        Error::with_source(ErrorKind::Database, format!("library database error: {source}"), source)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
