//! AWS::DynamoDB::Table.

use super::props::{opt_bool, opt_i64, opt_list, opt_str, opt_str_list, req_str, sdk_err};
use crate::template::intrinsics::STACK_NAME;
use crate::template::Outputs;
use anyhow::{Context as _, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType, ProvisionedThroughput, ScalarAttributeType,
    StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use serde_json::Value;

pub async fn create_table(
    id: &str,
    p: &Value,
    dynamodb: &aws_sdk_dynamodb::Client,
) -> Result<Outputs> {
    let name = opt_str(p, "TableName")?.unwrap_or_else(|| format!("{STACK_NAME}-{id}"));
    let mut req = dynamodb.create_table().table_name(&name);
    for a in opt_list(p, "AttributeDefinitions")? {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(req_str(a, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(
                    req_str(a, "AttributeType")?.as_str(),
                ))
                .build()?,
        );
    }
    req = req.set_key_schema(Some(key_schema(p)?));
    let billing = opt_str(p, "BillingMode")?.unwrap_or_else(|| "PROVISIONED".into());
    req = req.billing_mode(BillingMode::from(billing.as_str()));
    if let Some(t) = p.get("ProvisionedThroughput") {
        req = req.provisioned_throughput(throughput(t)?);
    } else if billing == "PROVISIONED" {
        req = req.provisioned_throughput(throughput(&Value::Null)?);
    }
    for g in opt_list(p, "GlobalSecondaryIndexes")? {
        let mut b = GlobalSecondaryIndex::builder()
            .index_name(req_str(g, "IndexName")?)
            .set_key_schema(Some(key_schema(g)?))
            .projection(projection(g)?);
        if let Some(t) = g.get("ProvisionedThroughput") {
            b = b.provisioned_throughput(throughput(t)?);
        } else if billing == "PROVISIONED" {
            b = b.provisioned_throughput(throughput(&Value::Null)?);
        }
        req = req.global_secondary_indexes(b.build()?);
    }
    for l in opt_list(p, "LocalSecondaryIndexes")? {
        req = req.local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name(req_str(l, "IndexName")?)
                .set_key_schema(Some(key_schema(l)?))
                .projection(projection(l)?)
                .build()?,
        );
    }
    if let Some(s) = p.get("StreamSpecification") {
        // CloudFormation has no StreamEnabled: a StreamSpecification means enabled.
        req = req.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(req_str(s, "StreamViewType")?.as_str()))
                .build()?,
        );
    }
    req.send().await.map_err(sdk_err).context("CreateTable")?;

    if let Some(ttl) = p.get("TimeToLiveSpecification") {
        if opt_bool(ttl, "Enabled")?.unwrap_or(false) {
            dynamodb
                .update_time_to_live()
                .table_name(&name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(req_str(ttl, "AttributeName")?)
                        .enabled(true)
                        .build()?,
                )
                .send()
                .await
                .map_err(sdk_err)
                .context("UpdateTimeToLive")?;
        }
    }

    let desc = dynamodb
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .map_err(sdk_err)
        .context("DescribeTable")?;
    let table = desc.table().context("DescribeTable returned no table")?;
    let mut out = Outputs::new("AWS::DynamoDB::Table", name.clone())
        .with("Arn", table.table_arn().unwrap_or_default());
    // The real stream ARN (with moto's timestamp label) is what GetAtt StreamArn must
    // return: the stream poller reads from it.
    if let Some(s) = table.latest_stream_arn() {
        out = out.with("StreamArn", s);
    }
    Ok(out)
}

fn key_schema(v: &Value) -> Result<Vec<KeySchemaElement>> {
    opt_list(v, "KeySchema")?
        .iter()
        .map(|k| {
            Ok(KeySchemaElement::builder()
                .attribute_name(req_str(k, "AttributeName")?)
                .key_type(KeyType::from(req_str(k, "KeyType")?.as_str()))
                .build()?)
        })
        .collect()
}

fn projection(v: &Value) -> Result<Projection> {
    let p = v.get("Projection").unwrap_or(&Value::Null);
    Ok(Projection::builder()
        .projection_type(ProjectionType::from(
            opt_str(p, "ProjectionType")?
                .unwrap_or_else(|| "ALL".into())
                .as_str(),
        ))
        .set_non_key_attributes(opt_str_list(p, "NonKeyAttributes")?)
        .build())
}

fn throughput(v: &Value) -> Result<ProvisionedThroughput> {
    Ok(ProvisionedThroughput::builder()
        .read_capacity_units(opt_i64(v, "ReadCapacityUnits")?.unwrap_or(5))
        .write_capacity_units(opt_i64(v, "WriteCapacityUnits")?.unwrap_or(5))
        .build()?)
}
