//! Which AWS actions a function's code calls, found by reading its source.
//!
//! The code a binary reaches is approximated by name: starting from the identifiers of
//! its `src/bin/<binary>.rs`, every `fn` of its crate or of `shared` whose name is
//! mentioned by reached code is reached too, transitively (`#[cfg(test)]` items are left
//! out). A name shared by two functions reaches both, so the scan can only over-estimate
//! what a binary calls, never miss a call it makes.
//!
//! In reached code, an SDK operation is a method call with no arguments (the fluent
//! builders: `.get_item()`, `.query()`, `.publish_batch()`, ...), mapped to its IAM
//! action by [`OPERATIONS`]. `TransactWriteItems` has no IAM action of its own: DynamoDB
//! authorizes each of its parts by the item action it performs, so the parts a crate
//! builds (`Put::builder()`, `Update::builder()`, `Delete::builder()`,
//! `ConditionCheck::builder()`) map by [`TRANSACTION_PARTS`]. `BatchWriteItem` is
//! authorized as itself, whatever its `PutRequest`s and `DeleteRequest`s.

use e2e::template::Function;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// SDK fluent operations and the IAM action each needs (`None`: authorized otherwise).
const OPERATIONS: &[(&str, Option<&str>)] = &[
    ("get_item", Some("dynamodb:GetItem")),
    ("put_item", Some("dynamodb:PutItem")),
    ("update_item", Some("dynamodb:UpdateItem")),
    ("delete_item", Some("dynamodb:DeleteItem")),
    ("query", Some("dynamodb:Query")),
    ("scan", Some("dynamodb:Scan")),
    ("batch_get_item", Some("dynamodb:BatchGetItem")),
    ("batch_write_item", Some("dynamodb:BatchWriteItem")),
    ("describe_table", Some("dynamodb:DescribeTable")),
    // Authorized per part, see TRANSACTION_PARTS.
    ("transact_write_items", None),
    ("transact_get_items", None),
    // SNS authorizes PublishBatch as Publish.
    ("publish", Some("sns:Publish")),
    ("publish_batch", Some("sns:Publish")),
    // SQS authorizes SendMessageBatch as SendMessage (likewise DeleteMessageBatch).
    ("send_message", Some("sqs:SendMessage")),
    ("send_message_batch", Some("sqs:SendMessage")),
    ("receive_message", Some("sqs:ReceiveMessage")),
    ("delete_message", Some("sqs:DeleteMessage")),
    ("delete_message_batch", Some("sqs:DeleteMessage")),
    ("send_email", Some("ses:SendEmail")),
    (
        "admin_confirm_sign_up",
        Some("cognito-idp:AdminConfirmSignUp"),
    ),
    ("admin_delete_user", Some("cognito-idp:AdminDeleteUser")),
    (
        "admin_add_user_to_group",
        Some("cognito-idp:AdminAddUserToGroup"),
    ),
    ("admin_get_user", Some("cognito-idp:AdminGetUser")),
    // Cognito's public APIs are authorized by the app client, not by IAM.
    ("sign_up", None),
    ("confirm_sign_up", None),
    ("initiate_auth", None),
];

/// Functions the name-based scan reaches from a binary that the binary cannot call: a
/// method of ours that shares its name with a std method the binary does call.
/// `(binary, "file::fn", why)`. An entry the scan no longer reaches fails the test, so
/// the list cannot outlive the collision.
pub const NOT_REACHED: &[(&str, &str, &str)] = &[
    (
        "notifications-api",
        "functions/notifications/src/store/contacts.rs::get",
        "the API only lists the inbox; its `.get(` calls are on maps and options",
    ),
    (
        "notifications-api",
        "functions/notifications/src/store/inbox.rs::contains",
        "the API only lists the inbox; its `.contains(` calls are on strings and sets",
    ),
];

/// What a binary's code calls.
pub struct Calls {
    /// Each IAM action, with the functions (`file::fn`) that call it.
    pub actions: BTreeMap<String, BTreeSet<String>>,
    /// The [`NOT_REACHED`] entries of the binary that the scan did reach by name.
    pub suppressed: BTreeSet<String>,
}

/// The parts of a `TransactWriteItems` (and `TransactGetItems`) and the item action
/// DynamoDB checks for each.
const TRANSACTION_PARTS: &[(&str, &str)] = &[
    ("Put", "dynamodb:PutItem"),
    ("Update", "dynamodb:UpdateItem"),
    ("Delete", "dynamodb:DeleteItem"),
    ("ConditionCheck", "dynamodb:ConditionCheckItem"),
    ("Get", "dynamodb:GetItem"),
];

/// The IAM actions the code of `binary` (a `src/bin/<binary>.rs` of a function crate)
/// calls.
pub fn sdk_actions_of_binary(binary: &str) -> Calls {
    let root = moto_runner::workspace_root();
    let crate_dir = std::fs::read_dir(root.join("functions"))
        .expect("functions/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|dir| dir.join(format!("src/bin/{binary}.rs")).is_file())
        .unwrap_or_else(|| panic!("no functions/*/src/bin/{binary}.rs"));
    let code = Code {
        function_src: crate_dir.join("src"),
        function_lib: crate_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .replace('-', "_"),
        shared_src: root.join("shared/src"),
    };

    // The files the binary reaches through module paths (`crate::store::X`,
    // `super::views`, `shared::outbox`, child modules), transitively.
    let entry = crate_dir.join(format!("src/bin/{binary}.rs"));
    let mut files: BTreeMap<PathBuf, Source> = BTreeMap::new();
    let mut pending = vec![entry.clone()];
    while let Some(path) = pending.pop() {
        if files.contains_key(&path) {
            continue;
        }
        let source = code.read(&path);
        pending.extend(source.references.iter().cloned());
        files.insert(path, source);
    }

    // The functions of those files reached by name from the binary.
    let mut by_name: BTreeMap<&str, Vec<&FnItem>> = BTreeMap::new();
    for source in files.values() {
        for item in &source.items {
            by_name.entry(item.name.as_str()).or_default().push(item);
        }
    }
    let mut pending: Vec<String> = files[&entry].linked_idents(0, files[&entry].tokens.len());
    let mut reached = BTreeSet::new();
    let mut actions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut suppressed = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !reached.insert(name.clone()) {
            continue;
        }
        for item in by_name.get(name.as_str()).into_iter().flatten() {
            let file = item.file.strip_prefix(&root).unwrap_or(&item.file);
            let id = format!("{}::{}", file.display(), item.name);
            if NOT_REACHED.iter().any(|(b, f, _)| *b == binary && *f == id) {
                suppressed.insert(id);
                continue;
            }
            for action in &item.actions {
                actions
                    .entry(action.clone())
                    .or_default()
                    .insert(id.clone());
            }
            pending.extend(item.refs.iter().cloned());
        }
    }
    Calls {
        actions,
        suppressed,
    }
}

/// Actions the Lambda service performs with the function's own role: sending a stream
/// batch that failed for good to the event source's OnFailure destination.
pub fn granted_for_platform(function: &Function<'_>) -> BTreeSet<String> {
    let mut actions = BTreeSet::new();
    for event in function.events() {
        let on_failure = &event.properties["DestinationConfig"]["OnFailure"];
        match on_failure["Type"].as_str() {
            Some("SQS") => actions.insert("sqs:SendMessage".to_owned()),
            Some("SNS") => actions.insert("sns:Publish".to_owned()),
            _ => false,
        };
    }
    actions
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Punct(char),
    /// A string or char literal (its text does not matter here).
    Literal,
}

/// A `fn` with a body.
struct FnItem {
    file: PathBuf,
    name: String,
    /// The names its body may call or pass on.
    refs: Vec<String>,
    /// The IAM actions its body calls.
    actions: BTreeSet<String>,
}

/// Where the crates of one binary live.
struct Code {
    function_src: PathBuf,
    /// The function crate's library name, as its binaries import it.
    function_lib: String,
    shared_src: PathBuf,
}

/// One source file, read.
struct Source {
    tokens: Vec<Token>,
    /// Tokens that may name a function of ours: identifiers, except the last segment of
    /// a path into another crate (`lambda_runtime::run`, `std::mem::take`).
    linkable: Vec<bool>,
    /// The files of the modules its paths name.
    references: BTreeSet<PathBuf>,
    items: Vec<FnItem>,
}

impl Source {
    fn linked_idents(&self, from: usize, to: usize) -> Vec<String> {
        (from..to)
            .filter(|&i| self.linkable[i])
            .filter_map(|i| match &self.tokens[i] {
                Token::Ident(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }
}

impl Code {
    fn read(&self, path: &Path) -> Source {
        let tokens = tokens_of(path);
        let mut linkable: Vec<bool> = tokens
            .iter()
            .map(|t| matches!(t, Token::Ident(_)))
            .collect();
        let mut references = BTreeSet::new();
        for (segments, last) in paths(&tokens) {
            match self.resolve(path, &segments) {
                Some(file) => {
                    references.insert(file);
                }
                // Type-qualified paths (`Worker::new`, `Self::x`) stay linkable.
                None if segments[0].starts_with(|c: char| c.is_lowercase()) => {
                    linkable[last] = false;
                }
                None => {}
            }
        }
        let mut source = Source {
            tokens,
            linkable,
            references,
            items: Vec::new(),
        };
        source.items = fn_items(path, &source);
        source
    }

    /// The module path of a file of `src`: `store/orders.rs` is `[store, orders]`,
    /// `store/mod.rs` is `[store]`, `lib.rs` (and a binary) is `[]`.
    fn module_of(src: &Path, file: &Path) -> Vec<String> {
        let relative = file.strip_prefix(src).unwrap_or(file);
        let mut segments: Vec<String> = relative
            .with_extension("")
            .iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        if matches!(segments.last().map(String::as_str), Some("mod" | "lib")) {
            segments.pop();
        }
        if segments.first().map(String::as_str) == Some("bin") {
            segments.clear();
        }
        segments
    }

    /// The file of the deepest module `segments` (a path in `file`) names, or `None` for
    /// a path into another crate.
    fn resolve(&self, file: &Path, segments: &[String]) -> Option<PathBuf> {
        let src = if file.starts_with(&self.shared_src) {
            &self.shared_src
        } else {
            &self.function_src
        };
        let here = Self::module_of(src, file);
        let is_binary = file.parent().is_some_and(|p| p.ends_with("bin"));
        let (src, module, relative): (&Path, Vec<String>, bool) = match segments[0].as_str() {
            "crate" => (src, segments[1..].to_vec(), false),
            "self" => (src, [&here[..], &segments[1..]].concat(), false),
            "super" => {
                let mut module = here.clone();
                let mut rest = segments;
                while rest.first().map(String::as_str) == Some("super") {
                    module.pop();
                    rest = &rest[1..];
                }
                (src, [&module[..], rest].concat(), false)
            }
            "shared" => (&self.shared_src, segments[1..].to_vec(), false),
            // A binary imports its crate's library by name (inside the crate, the same
            // name would be a child module, as `orders::` is in orders' store).
            lib if is_binary && lib == self.function_lib => {
                (&self.function_src, segments[1..].to_vec(), false)
            }
            _ if is_binary => return None,
            _ => (src, [&here[..], segments].concat(), true),
        };
        for depth in (0..=module.len()).rev() {
            if relative && depth <= here.len() {
                return None;
            }
            let dir = module[..depth]
                .iter()
                .fold(src.to_path_buf(), |p, s| p.join(s));
            let candidates = if depth == 0 {
                vec![src.join("lib.rs")]
            } else {
                vec![dir.with_extension("rs"), dir.join("mod.rs")]
            };
            if let Some(found) = candidates.into_iter().find(|c| c.is_file()) {
                return Some(found);
            }
        }
        None
    }
}

/// Every path of two or more segments (`a::b::c`, and each leaf of a `use a::{b, c::d}`
/// tree), with the index of its last segment's token.
fn paths(tokens: &[Token]) -> Vec<(Vec<String>, usize)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let starts =
            matches!(tokens[i], Token::Ident(_)) && !(i >= 1 && tokens[i - 1] == Token::Punct(':'));
        if starts {
            i = path_tree(tokens, i, Vec::new(), &mut found);
        } else {
            i += 1;
        }
    }
    found
}

/// Reads the path (tree) starting at the identifier at `i` under `prefix`; returns the
/// index after it.
fn path_tree(
    tokens: &[Token],
    mut i: usize,
    mut prefix: Vec<String>,
    found: &mut Vec<(Vec<String>, usize)>,
) -> usize {
    let is_sep = |j: usize| {
        tokens.get(j) == Some(&Token::Punct(':')) && tokens.get(j + 1) == Some(&Token::Punct(':'))
    };
    loop {
        let Some(Token::Ident(segment)) = tokens.get(i) else {
            return i;
        };
        if segment == "self" && !prefix.is_empty() {
            found.push((prefix, i));
            return i + 1;
        }
        prefix.push(segment.clone());
        if !is_sep(i + 1) {
            if prefix.len() >= 2 {
                found.push((prefix, i));
            }
            return i + 1;
        }
        i += 3;
        if tokens.get(i) == Some(&Token::Punct('{')) {
            // A use tree: each comma-separated branch continues the prefix.
            i += 1;
            while i < tokens.len() && tokens[i] != Token::Punct('}') {
                if matches!(tokens[i], Token::Ident(_)) {
                    i = path_tree(tokens, i, prefix.clone(), found);
                } else {
                    i += 1;
                }
                // Skip `as alias` and the comma.
                while i < tokens.len() && !matches!(tokens[i], Token::Punct(',' | '}')) {
                    i += 1;
                }
                if tokens.get(i) == Some(&Token::Punct(',')) {
                    i += 1;
                }
            }
            return i + 1;
        }
    }
}

/// The file's identifiers and punctuation, without comments, literals and
/// `#[cfg(test)]` items.
fn tokens_of(path: &Path) -> Vec<Token> {
    let text = std::fs::read_to_string(path).expect("a readable source file");
    without_test_items(lex(&text))
}

fn lex(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' || ((c == 'r' || c == 'b') && raw_or_byte_string_at(&chars, i)) {
            i = skip_string(&chars, i);
            tokens.push(Token::Literal);
        } else if c == '\'' {
            // A char literal ('x', '\n', '{') or a lifetime ('a).
            if chars.get(i + 1) == Some(&'\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                tokens.push(Token::Literal);
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                tokens.push(Token::Literal);
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Ident(chars[start..i].iter().collect()));
        } else {
            if !c.is_whitespace() {
                tokens.push(Token::Punct(c));
            }
            i += 1;
        }
    }
    tokens
}

/// True when `chars[i..]` opens `r"`, `r#"`, `b"`, `br"` or `br#"`.
fn raw_or_byte_string_at(chars: &[char], i: usize) -> bool {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return false;
    }
    let mut j = i;
    if chars[j] == 'b' {
        j += 1;
    }
    if chars.get(j) == Some(&'r') {
        j += 1;
        while chars.get(j) == Some(&'#') {
            j += 1;
        }
    }
    j > i && chars.get(j) == Some(&'"')
}

/// The index after the string literal starting at `i`.
fn skip_string(chars: &[char], mut i: usize) -> usize {
    if chars[i] == 'b' {
        i += 1;
    }
    if chars[i] == 'r' {
        i += 1;
        let mut hashes = 0;
        while chars[i] == '#' {
            hashes += 1;
            i += 1;
        }
        i += 1; // the opening quote
        while i < chars.len() {
            if chars[i] == '"' && chars[i + 1..].iter().take(hashes).all(|&c| c == '#') {
                return i + 1 + hashes;
            }
            i += 1;
        }
        return i;
    }
    i += 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

fn without_test_items(tokens: Vec<Token>) -> Vec<Token> {
    let cfg_test: Vec<Token> = lex("#[cfg(test)]");
    let mut kept = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i..].starts_with(&cfg_test) {
            i += cfg_test.len();
            // Skip the item: up to its `;`, or through its braced body.
            while i < tokens.len()
                && tokens[i] != Token::Punct('{')
                && tokens[i] != Token::Punct(';')
            {
                i += 1;
            }
            if tokens.get(i) == Some(&Token::Punct('{')) {
                i = matching_brace(&tokens, i);
            }
            i += 1;
        } else {
            kept.push(tokens[i].clone());
            i += 1;
        }
    }
    kept
}

/// The index of the `}` closing the `{` at `open`.
fn matching_brace(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    tokens.len() - 1
}

/// Every `fn` with a body, with what its body names and calls (nested items included).
fn fn_items(file: &Path, source: &Source) -> Vec<FnItem> {
    let tokens = &source.tokens;
    let mut items = Vec::new();
    for i in 0..tokens.len() {
        let (Token::Ident(kw), Some(Token::Ident(name))) = (&tokens[i], tokens.get(i + 1)) else {
            continue;
        };
        if kw != "fn" {
            continue;
        }
        // The body opens at the first `{` outside the signature's brackets; a `;` first
        // means a declaration without body.
        let mut depth = 0i32;
        let mut open = None;
        for (j, t) in tokens.iter().enumerate().skip(i + 2) {
            match t {
                Token::Punct('(' | '[') => depth += 1,
                Token::Punct(')' | ']') => depth -= 1,
                Token::Punct('{') if depth == 0 => {
                    open = Some(j);
                    break;
                }
                Token::Punct(';') if depth == 0 => break,
                _ => {}
            }
        }
        let Some(open) = open else { continue };
        let close = matching_brace(tokens, open);
        items.push(FnItem {
            file: file.to_path_buf(),
            name: name.clone(),
            refs: source.linked_idents(open, close + 1),
            actions: actions_in(&tokens[open..=close]),
        });
    }
    items
}

fn actions_in(body: &[Token]) -> BTreeSet<String> {
    let mut actions = BTreeSet::new();
    for w in body.windows(4) {
        if let [Token::Punct('.'), Token::Ident(op), Token::Punct('('), Token::Punct(')')] = w {
            if let Some((_, Some(action))) = OPERATIONS.iter().find(|(o, _)| o == op) {
                actions.insert((*action).to_owned());
            }
        }
        if let [Token::Ident(part), Token::Punct(':'), Token::Punct(':'), Token::Ident(b)] = w {
            if b == "builder" {
                if let Some((_, action)) = TRANSACTION_PARTS.iter().find(|(p, _)| p == part) {
                    actions.insert((*action).to_owned());
                }
            }
        }
    }
    actions
}
