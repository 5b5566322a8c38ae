//! What DynamoDB bills one call in on-demand mode, read from the call itself: the items it
//! wrote (its request) and read (its answer), sized as DynamoDB sizes items, with the
//! writes to each global secondary index the item belongs to.
//!
//! moto answers `ConsumedCapacity` with a constant, so the bench works the units out as
//! DynamoDB's documentation states them: a write is one unit per KB of the item (two in a
//! transaction), a strongly consistent read one unit per 4 KB (half eventually consistent,
//! two in a transaction), a query the total size of what it returned. An update or a
//! delete is sized by the largest item of its table, measured once the bench has run (the
//! request does not carry the item).

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::RwLock;

const WRITE_UNIT_BYTES: f64 = 1024.0;
const READ_UNIT_BYTES: f64 = 4096.0;

/// Read and write request units.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Units {
    pub read: f64,
    pub write: f64,
}

impl std::ops::Add for Units {
    type Output = Units;
    fn add(self, other: Units) -> Units {
        Units {
            read: self.read + other.read,
            write: self.write + other.write,
        }
    }
}

/// What the bench knows of each table: the key attributes of each of its global secondary
/// indexes, and the largest item it held after the run (for writes that do not carry
/// their item).
#[derive(Debug, Default)]
pub struct Tables {
    pub index_keys: BTreeMap<String, Vec<Vec<String>>>,
    /// Filled in once the bench's data is written, before anything is measured.
    pub largest_item_bytes: RwLock<BTreeMap<String, usize>>,
}

impl Tables {
    /// Write units of one item written to `table` (doubled in a transaction), with one
    /// more write per global secondary index whose keys `attributes` names.
    fn write(&self, table: &str, bytes: Option<usize>, attributes: &[String], factor: f64) -> f64 {
        let bytes = bytes.unwrap_or_else(|| {
            self.largest_item_bytes
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(table)
                .copied()
                .unwrap_or(0)
        });
        let item = units(bytes, WRITE_UNIT_BYTES);
        let indexes = self.index_keys.get(table).map_or(0, |indexes| {
            indexes
                .iter()
                .filter(|keys| keys.iter().any(|k| attributes.contains(k)))
                .count()
        });
        item * factor + indexes as f64 * item
    }
}

/// Whole units of `bytes`, at least one.
fn units(bytes: usize, unit: f64) -> f64 {
    (bytes as f64 / unit).ceil().max(1.0)
}

/// The units of one call of `operation` (`PutItem`, `Query`...) with its JSON request and
/// answer; calls that read or write no item (`DescribeTable`) cost none.
pub fn of_call(operation: &str, request: &Value, answer: &Value, tables: &Tables) -> Units {
    let table = request["TableName"].as_str().unwrap_or_default();
    let consistency = |r: &Value| {
        if r["ConsistentRead"] == Value::Bool(true) {
            1.0
        } else {
            0.5
        }
    };
    match operation {
        "GetItem" => Units {
            read: units(answer.get("Item").map_or(0, item_bytes), READ_UNIT_BYTES)
                * consistency(request),
            write: 0.0,
        },
        "Query" | "Scan" => {
            let bytes: usize = answer["Items"]
                .as_array()
                .map_or(0, |items| items.iter().map(item_bytes).sum());
            Units {
                read: units(bytes, READ_UNIT_BYTES) * consistency(request),
                write: 0.0,
            }
        }
        "BatchGetItem" => {
            let mut read = 0.0;
            for (name, wanted) in request["RequestItems"].as_object().into_iter().flatten() {
                let found = answer["Responses"][name]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let keys = wanted["Keys"].as_array().map_or(0, Vec::len);
                let found_units: f64 = found
                    .iter()
                    .map(|i| units(item_bytes(i), READ_UNIT_BYTES))
                    .sum();
                read +=
                    (found_units + keys.saturating_sub(found.len()) as f64) * consistency(wanted);
            }
            Units { read, write: 0.0 }
        }
        "PutItem" => Units {
            read: 0.0,
            write: put(table, &request["Item"], tables, 1.0),
        },
        "UpdateItem" => Units {
            read: 0.0,
            write: tables.write(table, None, &updated_attributes(request), 1.0),
        },
        "DeleteItem" => Units {
            read: 0.0,
            write: tables.write(table, None, &all_index_keys(table, tables), 1.0),
        },
        "TransactWriteItems" => {
            let mut write = 0.0;
            for action in request["TransactItems"].as_array().into_iter().flatten() {
                let Some((kind, op)) = action.as_object().and_then(|a| a.iter().next()) else {
                    continue;
                };
                let table = op["TableName"].as_str().unwrap_or_default();
                write += match kind.as_str() {
                    "Put" => put(table, &op["Item"], tables, 2.0),
                    "Update" => tables.write(table, None, &updated_attributes(op), 2.0),
                    "Delete" => tables.write(table, None, &all_index_keys(table, tables), 2.0),
                    // A condition check is billed as a transactional write of its item.
                    _ => tables.write(table, None, &[], 2.0),
                };
            }
            Units { read: 0.0, write }
        }
        _ => Units::default(),
    }
}

fn put(table: &str, item: &Value, tables: &Tables, factor: f64) -> f64 {
    let attributes: Vec<String> = item
        .as_object()
        .map_or_else(Vec::new, |m| m.keys().cloned().collect());
    tables.write(table, Some(item_bytes(item)), &attributes, factor)
}

/// Attributes an update expression sets or removes, by name or `#placeholder`.
fn updated_attributes(op: &Value) -> Vec<String> {
    let expression = op["UpdateExpression"].as_str().unwrap_or_default();
    let names = op["ExpressionAttributeNames"].as_object();
    expression
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '#'))
        .filter(|w| !w.is_empty())
        .map(|w| {
            names
                .and_then(|n| n.get(w))
                .and_then(Value::as_str)
                .unwrap_or(w)
                .to_owned()
        })
        .collect()
}

fn all_index_keys(table: &str, tables: &Tables) -> Vec<String> {
    tables
        .index_keys
        .get(table)
        .into_iter()
        .flatten()
        .flatten()
        .cloned()
        .collect()
}

/// An item's size as DynamoDB counts it: each attribute's name plus its value.
pub fn item_bytes(item: &Value) -> usize {
    item.as_object().map_or(0, map_bytes)
}

fn map_bytes(map: &Map<String, Value>) -> usize {
    map.iter()
        .map(|(name, value)| name.len() + value_bytes(value))
        .sum()
}

/// A typed attribute value (`{"S": "..."}`): strings by their UTF-8 bytes, numbers about
/// one byte per two digits plus one, binaries decoded, lists and maps three bytes plus one
/// per element plus their elements.
fn value_bytes(value: &Value) -> usize {
    let Some((kind, v)) = value.as_object().and_then(|m| m.iter().next()) else {
        return 0;
    };
    match kind.as_str() {
        "S" => v.as_str().map_or(0, str::len),
        "N" => v.as_str().map_or(0, number_bytes),
        "B" => v.as_str().map_or(0, |b| b.len() * 3 / 4),
        "BOOL" | "NULL" => 1,
        "SS" => v.as_array().map_or(0, |a| {
            a.iter().filter_map(Value::as_str).map(str::len).sum()
        }),
        "NS" => v.as_array().map_or(0, |a| {
            a.iter().filter_map(Value::as_str).map(number_bytes).sum()
        }),
        "BS" => v.as_array().map_or(0, |a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|b| b.len() * 3 / 4)
                .sum()
        }),
        "L" => v.as_array().map_or(3, |a| {
            3 + a.iter().map(|e| 1 + value_bytes(e)).sum::<usize>()
        }),
        "M" => v.as_object().map_or(3, |m| {
            3 + m
                .iter()
                .map(|(k, e)| 1 + k.len() + value_bytes(e))
                .sum::<usize>()
        }),
        _ => 0,
    }
}

fn number_bytes(n: &str) -> usize {
    let digits = n.bytes().filter(u8::is_ascii_digit).count();
    digits.div_ceil(2) + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tables() -> Tables {
        Tables {
            index_keys: BTreeMap::from([(
                "Orders".to_owned(),
                vec![vec!["GSI1PK".to_owned(), "GSI1SK".to_owned()]],
            )]),
            largest_item_bytes: RwLock::new(BTreeMap::from([("Orders".to_owned(), 700)])),
        }
    }

    #[test]
    fn items_are_sized_as_dynamodb_sizes_them() {
        let item = json!({"PK": {"S": "ORDER#1"}, "n": {"N": "1234"}, "ok": {"BOOL": true},
                          "m": {"M": {"a": {"S": "xy"}}}, "l": {"L": [{"S": "z"}]}});
        // PK 2+7, n 1+3, ok 2+1, m 1+(3+1+1+2), l 1+(3+1+1)
        assert_eq!(item_bytes(&item), 9 + 4 + 3 + 8 + 6);
    }

    #[test]
    fn reads_are_units_of_4_kb_halved_when_eventually_consistent() {
        let small = json!({"Item": {"PK": {"S": "x"}}});
        let big = json!({"Item": {"PK": {"S": "x".repeat(5000)}}});
        let consistent = json!({"TableName": "Orders", "ConsistentRead": true});
        assert_eq!(of_call("GetItem", &consistent, &small, &tables()).read, 1.0);
        assert_eq!(of_call("GetItem", &consistent, &big, &tables()).read, 2.0);
        assert_eq!(
            of_call(
                "GetItem",
                &json!({"TableName": "Orders"}),
                &json!({}),
                &tables()
            )
            .read,
            0.5
        );
        let batch =
            json!({"RequestItems": {"Products": {"Keys": [{}, {}, {}], "ConsistentRead": true}}});
        let found = json!({"Responses": {"Products": [{"PK": {"S": "a"}}, {"PK": {"S": "b"}}]}});
        assert_eq!(of_call("BatchGetItem", &batch, &found, &tables()).read, 3.0);
    }

    #[test]
    fn writes_are_units_of_1_kb_doubled_in_transactions_plus_their_indexes() {
        let order =
            json!({"PK": {"S": "ORDER#1"}, "GSI1PK": {"S": "USER#1"}, "GSI1SK": {"S": "t"}});
        let put = json!({"TableName": "Orders", "Item": order});
        assert_eq!(of_call("PutItem", &put, &json!({}), &tables()).write, 2.0);
        let transaction = json!({"TransactItems": [
            {"Put": {"TableName": "Orders", "Item": order}},
            {"Put": {"TableName": "Outbox", "Item": {"PK": {"S": "x".repeat(1500)}}}},
            {"Update": {"TableName": "Orders", "UpdateExpression": "SET #s = :s", "ExpressionAttributeNames": {"#s": "status"}}},
            {"ConditionCheck": {"TableName": "Orders"}}
        ]});
        // order 2 + its index 1, outbox 2 x 2 KB, update 2, condition check 2
        assert_eq!(
            of_call("TransactWriteItems", &transaction, &json!({}), &tables()).write,
            3.0 + 4.0 + 2.0 + 2.0
        );
        let moves_index = json!({"TableName": "Orders", "UpdateExpression": "SET GSI1SK = :v"});
        assert_eq!(
            of_call("UpdateItem", &moves_index, &json!({}), &tables()).write,
            2.0
        );
        assert_eq!(
            of_call("DescribeTable", &json!({}), &json!({}), &tables()),
            Units::default()
        );
    }
}
