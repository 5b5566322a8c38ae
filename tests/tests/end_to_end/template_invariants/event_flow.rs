//! The "who publishes, who consumes" section of docs/design.md, generated from the
//! template's subscriptions (topic -> queue, filter policy) and event source mappings
//! (queue -> function), so the architecture document cannot drift from what is deployed.
//! `UPDATE_DESIGN_DOC=1 cargo test -p e2e --test end_to_end template_invariants` rewrites it.

use e2e::template::{target, Template};
use std::collections::BTreeMap;
use std::path::Path;

const BEGIN: &str = "<!-- event-flow: generated from template.yaml by tests/tests/end_to_end/template_invariants/event_flow.rs -->";
const END: &str = "<!-- event-flow: end -->";

/// The service a topic or queue belongs to: its logical id without the suffix, lower case
/// (`OrdersTopic` -> `orders`).
fn service(logical_id: &str, suffix: &str) -> String {
    logical_id
        .strip_suffix(suffix)
        .unwrap_or(logical_id)
        .to_lowercase()
}

/// (publishing service, consuming service) -> the event types the subscription delivers.
fn flows(template: &Template) -> BTreeMap<(String, String), Vec<String>> {
    template
        .subscriptions()
        .into_iter()
        .filter(|s| s.protocol == "sqs")
        .map(|s| {
            let key = (service(&s.topic, "Topic"), service(&s.endpoint, "Queue"));
            (key, s.event_types.unwrap_or_default())
        })
        .collect()
}

/// The queue each worker function reads: queue service -> function logical id.
fn consumers(template: &Template) -> BTreeMap<String, String> {
    template
        .function_events("SQS")
        .into_iter()
        .filter_map(|event| {
            let queue = service(target(&event.properties["Queue"])?, "Queue");
            Some((queue, event.function))
        })
        .collect()
}

fn render(template: &Template) -> String {
    let flows = flows(template);
    let consumers = consumers(template);
    let mut out = format!("{BEGIN}\n\n```mermaid\nflowchart LR\n");
    for ((from, to), types) in &flows {
        out.push_str(&format!("  {from} -->|{}| {to}\n", types.join(", ")));
    }
    out.push_str("```\n\n| topic | delivers | to the queue of | read by |\n|---|---|---|---|\n");
    for ((from, to), types) in &flows {
        let reader = consumers.get(to).map(String::as_str).unwrap_or("(nobody)");
        out.push_str(&format!(
            "| `{}Topic` | {} | `{}Queue` | `{reader}` |\n",
            capitalised(from),
            types.join(", "),
            capitalised(to)
        ));
    }
    out.push_str(&format!("\n{END}"));
    out
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|first| first.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[test]
fn the_design_documents_the_event_flow_the_template_deploys() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/design.md");
    let doc = std::fs::read_to_string(&path).expect("docs/design.md exists");
    let (Some(begin), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/design.md has no generated event-flow section ({BEGIN} ... {END})");
    };
    let current = &doc[begin..end + END.len()];
    let generated = render(&Template::workspace());
    if current == generated {
        return;
    }
    if std::env::var_os("UPDATE_DESIGN_DOC").is_some() {
        let updated = format!("{}{generated}{}", &doc[..begin], &doc[end + END.len()..]);
        std::fs::write(&path, updated).expect("write docs/design.md");
        return;
    }
    panic!(
        "docs/design.md's event flow differs from template.yaml; run UPDATE_DESIGN_DOC=1 cargo test -p e2e --test end_to_end template_invariants and commit it\n--- generated:\n{generated}"
    );
}
