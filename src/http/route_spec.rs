//! What a route takes and returns: its query parameters and body fields, what a success holds,
//! and the builders the route table is written with.

/// A query parameter, or a field of a request body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    /// Its name.
    pub(crate) name: &'static str,
    /// A whole number (otherwise text).
    pub(crate) integer: bool,
    /// A list of texts (a JSON body's array).
    pub(crate) list: bool,
    /// Must be given.
    pub(crate) required: bool,
    /// The values it takes, when they are a fixed set.
    pub(crate) values: &'static [&'static str],
    /// A date, `yyyy-mm-dd`.
    pub(crate) date: bool,
    /// A regular expression its text matches (empty: any non-empty text).
    pub(crate) pattern: &'static str,
    /// What it means.
    pub(crate) description: &'static str,
    /// `true` or `false` (a JSON body's boolean).
    pub(crate) boolean: bool,
    /// A JSON object whose values are one of these.
    pub(crate) map_of: &'static [&'static str],
}

impl Param {
    /// An optional text with no description (for `..Param::EMPTY`).
    pub(crate) const EMPTY: Param = Param {
        name: "",
        integer: false,
        list: false,
        required: false,
        values: &[],
        date: false,
        pattern: "",
        description: "",
        boolean: false,
        map_of: &[],
    };
}

pub(super) const fn text(name: &'static str, description: &'static str) -> Param {
    Param { name, description, ..Param::EMPTY }
}

pub(super) const fn needed(name: &'static str, description: &'static str) -> Param {
    Param { name, description, required: true, ..Param::EMPTY }
}

pub(super) const fn int(name: &'static str, description: &'static str) -> Param {
    Param { name, description, integer: true, ..Param::EMPTY }
}

pub(super) const fn one_of(name: &'static str, values: &'static [&'static str], description: &'static str) -> Param {
    Param { name, description, values, ..Param::EMPTY }
}

/// A request body.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Body {
    /// None.
    None,
    /// A form (`application/x-www-form-urlencoded`).
    Form(&'static [Param]),
    /// A JSON object with these fields and no other.
    Json(&'static [Param]),
}

/// What a successful answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returns {
    /// A JSON object.
    Json,
    /// Plain text.
    Text,
    /// An OAuth2 token.
    Token,
    /// A data file (Parquet, CSV or NDJSON); `ranges` when byte ranges are served.
    Data { ranges: bool },
    /// A report (JSON, CSV, XLSX or HTML).
    Report,
    /// A JSON object or a printable HTML page.
    JsonOrHtml,
}

/// One route of the API.
pub(crate) struct Route {
    /// `GET` or `POST`.
    pub(crate) method: &'static str,
    /// Path template, `{name}` for parameters.
    pub(crate) path: &'static str,
    /// What it does.
    pub(crate) summary: &'static str,
    /// Needs a bearer token.
    pub(crate) bearer: bool,
    /// Its query parameters (any other is a 400).
    pub(crate) query: &'static [Param],
    /// Its request body.
    pub(crate) body: Body,
    /// What a success holds.
    pub(crate) returns: Returns,
}

pub(super) const fn r(method: &'static str, path: &'static str, summary: &'static str, bearer: bool) -> Route {
    Route { method, path, summary, bearer, query: &[], body: Body::None, returns: Returns::Json }
}

impl Route {
    pub(super) const fn query(mut self, query: &'static [Param]) -> Route {
        self.query = query;
        self
    }
    pub(super) const fn body(mut self, body: Body) -> Route {
        self.body = body;
        self
    }
    pub(super) const fn returns(mut self, returns: Returns) -> Route {
        self.returns = returns;
        self
    }
}

pub(super) const fn date(name: &'static str, description: &'static str) -> Param {
    Param { name, description, date: true, ..Param::EMPTY }
}
