//! DynamoDB and DynamoDB Streams answers through the real SDK clients against the
//! launcher's moto, which writes attribute values without walking the service model
//! (moto_launcher.py, `attribute_values_written_directly`): an item holding every kind of
//! attribute value comes back from GetItem, Query and a stream record exactly as it was
//! put.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodbstreams::types::{AttributeValue as StreamValue, ShardIteratorType};
use serde_json::{json, Map, Value};
use stack_model::fixtures::{create_table, unique_name};
use std::collections::HashMap;

/// An attribute value as comparable JSON (sets sorted: DynamoDB keeps no set order).
macro_rules! comparable {
    ($name:ident, $value:ident) => {
        fn $name(v: &$value) -> Value {
            let sorted = |mut items: Vec<Value>| {
                items.sort_by_key(|i| i.to_string());
                Value::Array(items)
            };
            match v {
                $value::S(s) => json!({ "S": s }),
                $value::N(n) => json!({ "N": n }),
                $value::B(b) => json!({ "B": b.as_ref() }),
                $value::Ss(s) => json!({ "SS": sorted(s.iter().map(|x| json!(x)).collect()) }),
                $value::Ns(s) => json!({ "NS": sorted(s.iter().map(|x| json!(x)).collect()) }),
                $value::Bs(s) => {
                    json!({ "BS": sorted(s.iter().map(|x| json!(x.as_ref())).collect()) })
                }
                $value::M(m) => json!({
                    "M": m.iter().map(|(k, v)| (k.clone(), $name(v))).collect::<Map<_, _>>()
                }),
                $value::L(l) => json!({ "L": l.iter().map($name).collect::<Vec<_>>() }),
                $value::Null(n) => json!({ "NULL": n }),
                $value::Bool(b) => json!({ "BOOL": b }),
                other => panic!("an attribute value this test does not know: {other:?}"),
            }
        }
    };
}
comparable!(table_value, AttributeValue);
comparable!(stream_value, StreamValue);

fn item_json<V>(item: &HashMap<String, V>, each: fn(&V) -> Value) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), each(v))).collect())
}

/// Every kind of attribute value, nested in maps and lists, empty ones included.
fn every_kind(pk: &str) -> HashMap<String, AttributeValue> {
    use AttributeValue as A;
    let s = |x: &str| A::S(x.to_owned());
    let nested = A::M(HashMap::from([
        ("text".to_owned(), s("Grüße, \"quoted\" \\ and \u{1F980}")),
        ("count".to_owned(), A::N("-12.50".to_owned())),
        ("flag".to_owned(), A::Bool(false)),
        ("nothing".to_owned(), A::Null(true)),
        ("bytes".to_owned(), A::B(Blob::new(vec![0u8, 1, 254, 255]))),
        ("empty map".to_owned(), A::M(HashMap::new())),
        ("empty list".to_owned(), A::L(Vec::new())),
    ]));
    HashMap::from([
        ("PK".to_owned(), s(pk)),
        ("SK".to_owned(), s("ITEM")),
        ("string".to_owned(), s("")),
        ("number".to_owned(), A::N("12345678901234567890".to_owned())),
        (
            "binary".to_owned(),
            A::B(Blob::new(b"\x00crab\xff".to_vec())),
        ),
        ("strings".to_owned(), A::Ss(vec!["b".into(), "a".into()])),
        ("numbers".to_owned(), A::Ns(vec!["2.5".into(), "-1".into()])),
        (
            "binaries".to_owned(),
            A::Bs(vec![Blob::new(vec![1u8]), Blob::new(vec![2u8, 3])]),
        ),
        ("map".to_owned(), nested.clone()),
        (
            "list".to_owned(),
            A::L(vec![
                s("first"),
                A::N("2".into()),
                nested,
                A::L(vec![A::Bool(true)]),
            ]),
        ),
        ("yes".to_owned(), A::Bool(true)),
        ("null".to_owned(), A::Null(true)),
    ])
}

#[tokio::test]
async fn an_item_of_every_kind_of_value_reads_back_as_it_was_put() {
    let config = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let streams = aws_sdk_dynamodbstreams::Client::new(&config);
    let table = create_table(&dynamodb, "ProductsTable").await;
    let pk = unique_name("wire");
    let item = every_kind(&pk);
    let put = item_json(&item, table_value);
    dynamodb
        .put_item()
        .table_name(&table)
        .set_item(Some(item))
        .send()
        .await
        .expect("put item");

    let got = dynamodb
        .get_item()
        .table_name(&table)
        .key("PK", AttributeValue::S(pk.clone()))
        .key("SK", AttributeValue::S("ITEM".to_owned()))
        .send()
        .await
        .expect("get item")
        .item
        .expect("the item");
    assert_eq!(item_json(&got, table_value), put, "GetItem");

    let queried = dynamodb
        .query()
        .table_name(&table)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
        .send()
        .await
        .expect("query")
        .items
        .unwrap_or_default();
    let queried: Vec<Value> = queried.iter().map(|i| item_json(i, table_value)).collect();
    assert_eq!(queried, vec![put.clone()], "Query");

    let stream_arn = dynamodb
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .expect("describe table")
        .table
        .and_then(|t| t.latest_stream_arn)
        .expect("the table's stream");
    let shard = streams
        .describe_stream()
        .stream_arn(&stream_arn)
        .send()
        .await
        .expect("describe stream")
        .stream_description
        .and_then(|d| d.shards)
        .and_then(|s| s.into_iter().next())
        .and_then(|s| s.shard_id)
        .expect("a shard");
    let iterator = streams
        .get_shard_iterator()
        .stream_arn(&stream_arn)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect("shard iterator")
        .shard_iterator
        .expect("an iterator");
    let records = streams
        .get_records()
        .shard_iterator(iterator)
        .send()
        .await
        .expect("get records")
        .records
        .unwrap_or_default();
    let images: Vec<Value> = records
        .iter()
        .filter_map(|r| r.dynamodb.as_ref()?.new_image.as_ref())
        .map(|image| item_json(image, stream_value))
        .collect();
    assert_eq!(images, vec![put], "the stream record's NewImage");
}
