//! Against a real moto (from the project .venv, through the devstack's launcher):
//! provisioning from the real template, SNS -> SQS fan-out with filter policies and
//! redrive, moto-issued Cognito tokens through the authorizer, and the DynamoDB lock.

use crate::apigw::auth::{render_claims, AuthError, CognitoAuthorizer, Verifier};
use crate::seed;
use crate::testutil::{real_template, venv_python};
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveStatus};
use aws_sdk_sqs::types::QueueAttributeName;
use moto_runner::MotoServer;
use stack_model::provision::{self, Clients};
use stack_model::template::intrinsics::resolve_parameters;
use stack_model::template::{Context, Template};
use std::collections::BTreeMap;

async fn provision(t: &Template, clients: &Clients) -> Context {
    let params = resolve_parameters(t, &BTreeMap::new()).unwrap();
    let mut ctx = Context::new(t, params);
    provision::register_serverless(t, &mut ctx).unwrap();
    provision::provision_all(t, &mut ctx, clients)
        .await
        .unwrap();
    ctx
}

const FANOUT: &str = r#"
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Dlq:
    Type: AWS::SQS::Queue
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Dlq.Arn
        maxReceiveCount: 5
  Sub:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: sqs
      Endpoint: !GetAtt Queue.Arn
      RawMessageDelivery: true
      FilterPolicy:
        event_type: [OrderPlaced]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisions_the_template_in_moto_and_verifies_its_tokens() {
    let mut moto = MotoServer::start(&venv_python(), 0).await.unwrap();
    let clients = Clients::new(&moto_runner::sdk_config(&moto.url).await);

    // ---- the real template
    let t = real_template();
    let ctx = provision(&t, &clients).await;
    let table = &ctx.resources["UsersTable"];
    let desc = clients
        .dynamodb
        .describe_table()
        .table_name(&table.ref_)
        .send()
        .await
        .unwrap();
    let d = desc.table().unwrap();
    let gsi = &d.global_secondary_indexes()[0];
    assert_eq!(gsi.index_name(), Some("GSI1"));
    assert_eq!(gsi.key_schema()[0].attribute_name(), "GSI1PK");
    assert_eq!(gsi.key_schema()[1].attribute_name(), "GSI1SK");
    let stream = d.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(
        stream.stream_view_type().map(|v| v.as_str()),
        Some("NEW_IMAGE")
    );
    assert_eq!(
        d.latest_stream_arn(),
        Some(table.attrs["StreamArn"].as_str())
    );
    assert_eq!(d.table_arn(), Some(table.attrs["Arn"].as_str()));
    let ttl = clients
        .dynamodb
        .describe_time_to_live()
        .table_name(&table.ref_)
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
    assert_eq!(ttl.attribute_name(), Some("ttl"));

    let failures = &ctx.resources["UsersOutboxFailuresQueue"];
    let attrs = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&failures.ref_)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attrs = attrs.attributes().unwrap();
    assert_eq!(
        attrs[&QueueAttributeName::MessageRetentionPeriod],
        "1209600"
    );
    assert_eq!(attrs[&QueueAttributeName::QueueArn], failures.attrs["Arn"]);

    let topic = &ctx.resources["UsersTopic"];
    assert!(topic
        .ref_
        .starts_with("arn:aws:sns:us-east-1:123456789012:"));
    assert!(topic.ref_.ends_with(&topic.attrs["TopicName"]));

    let pool = &ctx.resources["UserPool"];
    assert!(pool.attrs["Arn"].ends_with(&format!("userpool/{}", pool.ref_)));
    assert_eq!(
        pool.attrs["ProviderURL"],
        format!("https://cognito-idp.us-east-1.amazonaws.com/{}", pool.ref_)
    );
    let client_id = ctx.resources["UserPoolClient"].ref_.clone();
    let groups = clients
        .cognito
        .list_groups()
        .user_pool_id(&pool.ref_)
        .send()
        .await
        .unwrap();
    assert_eq!(groups.groups()[0].group_name(), Some("admin"));

    // ---- SNS -> SQS with raw delivery, a filter policy and a redrive policy
    let f = Template::parse(FANOUT).unwrap();
    let fctx = provision(&f, &clients).await;
    let queue_url = &fctx.resources["Queue"].ref_;
    let attrs = clients
        .sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let redrive: serde_json::Value =
        serde_json::from_str(&attrs.attributes().unwrap()[&QueueAttributeName::RedrivePolicy])
            .unwrap();
    assert_eq!(
        redrive["deadLetterTargetArn"],
        fctx.resources["Dlq"].attrs["Arn"]
    );
    assert_eq!(
        redrive["maxReceiveCount"].to_string().trim_matches('"'),
        "5"
    );
    let sub = clients
        .sns
        .get_subscription_attributes()
        .subscription_arn(&fctx.resources["Sub"].ref_)
        .send()
        .await
        .unwrap();
    let sub = sub.attributes().unwrap();
    assert_eq!(sub["RawMessageDelivery"], "true");
    let fp: serde_json::Value = serde_json::from_str(&sub["FilterPolicy"]).unwrap();
    assert_eq!(fp, serde_json::json!({"event_type": ["OrderPlaced"]}));
    for (ty, body) in [("OrderRejected", "dropped"), ("OrderPlaced", "delivered")] {
        clients
            .sns
            .publish()
            .topic_arn(&fctx.resources["Topic"].ref_)
            .message(body)
            .message_attributes(
                "event_type",
                aws_sdk_sns::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(ty)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let got = clients
        .sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let bodies: Vec<&str> = got.messages().iter().filter_map(|m| m.body()).collect();
    assert_eq!(
        bodies,
        ["delivered"],
        "raw delivery, filtered on event_type"
    );

    // ---- moto-issued tokens through the authorizer
    let password = "Test-Passw0rd!";
    seed::seed_admin(&ctx, &clients, "http://127.0.0.1:9", false, password)
        .await
        .unwrap();
    let seeded_token = seed::admin_id_token(&clients, &client_id, password)
        .await
        .unwrap();
    assert_eq!(seeded_token.split('.').count(), 3, "a JWT");
    let auth = clients
        .cognito
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", seed::ADMIN_EMAIL)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .unwrap();
    let result = auth.authentication_result().unwrap();
    let id_token = result.id_token().unwrap();
    let access_token = result.access_token().unwrap();
    let authorizer = CognitoAuthorizer {
        name: "CognitoAuthorizer".into(),
        header: "Authorization".into(),
        pool_ids: vec![pool.ref_.clone()],
        client_ids: vec![client_id.clone()],
    };
    let verifier = Verifier::new(&moto.url);
    let claims = verifier.verify(Some(id_token), &authorizer).await.unwrap();
    let rendered = render_claims(&claims);
    assert_eq!(rendered["cognito:groups"], "admin");
    assert_eq!(rendered["email"], seed::ADMIN_EMAIL);
    assert_eq!(rendered["token_use"], "id");
    assert!(verifier
        .verify(Some(&format!("Bearer {id_token}")), &authorizer)
        .await
        .is_ok());

    let e = verifier
        .verify(Some(access_token), &authorizer)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AuthError::Invalid(_) | AuthError::NotIdToken(_)),
        "{e:?}"
    );
    let other_client = CognitoAuthorizer {
        client_ids: vec!["some-other-client".into()],
        ..authorizer.clone()
    };
    assert!(matches!(
        verifier.verify(Some(id_token), &other_client).await,
        Err(AuthError::Invalid(_))
    ));
    let mut parts: Vec<String> = id_token.split('.').map(str::to_owned).collect();
    {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut payload: serde_json::Value =
            serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
        payload["cognito:groups"] = serde_json::json!(["admin", "root"]);
        parts[1] = engine.encode(payload.to_string());
    }
    assert!(matches!(
        verifier.verify(Some(&parts.join(".")), &authorizer).await,
        Err(AuthError::Invalid(_))
    ));

    // ---- the launcher serializes DynamoDB requests: of N concurrent conditional puts
    // on one key exactly one wins.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let ddb = clients.dynamodb.clone();
        let name = table.ref_.clone();
        tasks.push(tokio::spawn(async move {
            ddb.put_item()
                .table_name(name)
                .item("PK", AttributeValue::S("RACE".into()))
                .item("SK", AttributeValue::S("RACE".into()))
                .item("n", AttributeValue::N(i.to_string()))
                .condition_expression("attribute_not_exists(PK)")
                .send()
                .await
                .is_ok()
        }));
    }
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1);

    moto.stop().await;
}

/// The launcher undoes a cancelled transaction item by item (moto swapped in a copy of
/// the table, stream shard included): the items it wrote are as they were, and a stream
/// reader neither sees the cancelled writes nor loses sight of the ones after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_transaction_leaves_the_stream_as_it_was() {
    use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
    use aws_sdk_dynamodbstreams::types::ShardIteratorType;

    let mut moto = MotoServer::start(&venv_python(), 0).await.unwrap();
    let clients = Clients::new(&moto_runner::sdk_config(&moto.url).await);
    let ctx = provision(&real_template(), &clients).await;
    let table = ctx.resources["UsersTable"].ref_.clone();
    let stream_arn = clients
        .dynamodb
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .table
        .and_then(|t| t.latest_stream_arn)
        .unwrap();
    let shard_id = clients
        .streams
        .describe_stream()
        .stream_arn(&stream_arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .and_then(|d| d.shards)
        .and_then(|s| s.into_iter().next())
        .and_then(|s| s.shard_id)
        .unwrap();
    let iterator = clients
        .streams
        .get_shard_iterator()
        .stream_arn(&stream_arn)
        .shard_id(shard_id)
        .shard_iterator_type(ShardIteratorType::Latest)
        .send()
        .await
        .unwrap()
        .shard_iterator
        .unwrap();

    let put = |pk: &str, condition: Option<&str>| {
        let put = Put::builder()
            .table_name(&table)
            .item("PK", AttributeValue::S(pk.into()))
            .item("SK", AttributeValue::S("X".into()))
            .set_condition_expression(condition.map(str::to_owned))
            .build()
            .unwrap();
        TransactWriteItem::builder().put(put).build()
    };
    clients
        .dynamodb
        .put_item()
        .table_name(&table)
        .item("PK", AttributeValue::S("EXISTING".into()))
        .item("SK", AttributeValue::S("X".into()))
        .item("n", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    let bump = Update::builder()
        .table_name(&table)
        .key("PK", AttributeValue::S("EXISTING".into()))
        .key("SK", AttributeValue::S("X".into()))
        .update_expression("SET n = n + :one")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .build()
        .unwrap();
    let cancelled = clients
        .dynamodb
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(bump).build())
        .transact_items(put("CANCELLED", None))
        .transact_items(put("MISSING", Some("attribute_exists(PK)")))
        .send()
        .await;
    assert!(
        cancelled.is_err(),
        "the condition must cancel the transaction"
    );
    let item = |pk: &str| {
        let ddb = clients.dynamodb.clone();
        let (table, pk) = (table.clone(), pk.to_owned());
        async move {
            ddb.get_item()
                .table_name(table)
                .key("PK", AttributeValue::S(pk))
                .key("SK", AttributeValue::S("X".into()))
                .send()
                .await
                .unwrap()
                .item
        }
    };
    assert_eq!(item("CANCELLED").await, None);
    assert_eq!(
        item("EXISTING").await.and_then(|i| i.get("n").cloned()),
        Some(AttributeValue::N("1".into()))
    );
    clients
        .dynamodb
        .transact_write_items()
        .transact_items(put("COMMITTED", None))
        .send()
        .await
        .unwrap();

    let records = clients
        .streams
        .get_records()
        .shard_iterator(iterator)
        .send()
        .await
        .unwrap()
        .records
        .unwrap_or_default();
    let keys: Vec<String> = records
        .iter()
        .filter_map(|r| r.dynamodb.as_ref()?.keys.as_ref()?.get("PK").cloned())
        .filter_map(|pk| match pk {
            aws_sdk_dynamodbstreams::types::AttributeValue::S(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(keys, ["EXISTING", "COMMITTED"]);
    moto.stop().await;
}
