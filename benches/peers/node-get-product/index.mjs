// Benchmark peer: GET /v1/products/{id} as a Node.js 20 Lambda function with the AWS SDK
// v3, answering exactly what the products service's products-api answers on that route
// (functions/products/src/api/browse.rs get_product), so `make bench` can compare our
// Rust function with what a team would otherwise write.
//
// The runtime loop below is deliberately minimal. AWS's Node.js runtime interface client
// (aws-lambda-nodejs-runtime-interface-client, what the nodejs20.x runtime runs) makes the
// same Runtime API calls, but it also loads the handler module dynamically, patches
// console for structured logs, tracks X-Ray trace ids, and handles callbacks and
// streaming responses. Ours does less, which flatters the peer, so a ratio of our
// function against it is conservative.

import { createHash } from "node:crypto";
import http from "node:http";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";

const RUNTIME_API = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;

// One connection to the Runtime API, reused for every next/response exchange, as a
// runtime client does.
const runtimeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

// Init, once per execution environment, like the clients our binaries build in main.
// The SDK reads the endpoint itself from AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_DYNAMODB)
// and the credentials from the environment; the region is passed as Lambda sets it.
let store;
try {
  store = {
    client: new DynamoDBClient({ region: requiredEnv("AWS_REGION") }),
    table: requiredEnv("TABLE_NAME"),
  };
} catch (err) {
  await postInitError(err);
  process.exit(1);
}

// The same rule as shared::ids::is_uuid: a hyphenated UUID of any version, any case.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** API Gateway REST proxy event -> proxy response, as products-api answers. */
async function getProduct(event, lambdaRequestId) {
  // Errors carry API Gateway's request id, falling back to the invocation's (shared http).
  const requestId = event?.requestContext?.requestId ?? lambdaRequestId;
  const rawId = event?.pathParameters?.id;
  if (typeof rawId !== "string" || rawId === "") {
    return errorResponse(400, "VALIDATION_ERROR", "request validation failed", requestId, [
      { field: "id", message: "path parameter is required" },
    ]);
  }
  // An id that is not a UUID can name no product: not found, and no read.
  if (!UUID.test(rawId)) {
    return productNotFound(requestId);
  }
  const id = rawId.toLowerCase();
  const { Item: item } = await store.client.send(
    new GetItemCommand({
      TableName: store.table,
      Key: { PK: { S: `PRODUCT#${id}` }, SK: { S: "PRODUCT" } },
      ConsistentRead: true,
    }),
  );
  // Archived products are not found, as in browse.rs.
  if (item === undefined || item.status?.S !== "ACTIVE") {
    return productNotFound(requestId);
  }
  const body = JSON.stringify(productView(item, Number(item.version.N)));
  // The ETag and the revalidation of shared/src/http/conditional.rs.
  const etag = `"${createHash("sha256").update(body).digest().subarray(0, 16).toString("base64url")}"`;
  const cached = { etag, "cache-control": "public, no-cache" };
  if (isHeld(headerOf(event, "if-none-match"), etag)) {
    return { statusCode: 304, headers: cached, body: "", isBase64Encoded: false };
  }
  return {
    statusCode: 200,
    headers: { "content-type": "application/json", ...cached },
    body,
    isBase64Encoded: false,
  };
}

function headerOf(event, name) {
  const headers = event?.headers ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** If-None-Match's weak comparison: `*`, or any listed tag with or without `W/`. */
function isHeld(ifNoneMatch, etag) {
  if (typeof ifNoneMatch !== "string") return false;
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

/** The stored item as clients see it: the fields and order of views.rs ProductView. */
function productView(item, version) {
  return {
    id: item.id.S,
    name: item.name.S,
    description: item.description.S,
    category: item.category.S,
    price: {
      amount: Number(item.price.M.amount.N),
      currency: item.price.M.currency.S,
    },
    stock: {
      available: Number(item.available.N),
      reserved: Number(item.reserved.N),
    },
    version,
    created_at: item.created_at.S,
    updated_at: item.updated_at.S,
  };
}

function productNotFound(requestId) {
  return errorResponse(404, "NOT_FOUND", "product not found", requestId, []);
}

/**
 * The error shape of shared/src/http/response.rs error_response, keys in the order ours
 * writes them (serde_json's sorted map), so the two bodies are byte for byte alike.
 */
function errorResponse(statusCode, code, message, requestId, details) {
  return {
    statusCode,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      error: {
        code,
        details,
        message,
        request_id: requestId,
        // RFC 3339 UTC with milliseconds and Z, as shared::time::rfc3339.
        timestamp: new Date().toISOString(),
      },
    }),
    isBase64Encoded: false,
  };
}

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

/** One Runtime API exchange: resolves with the status, headers and body text. */
function runtimeCall(method, path, payload) {
  return new Promise((resolve, reject) => {
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const headers = body === undefined ? {} : { "content-type": "application/json" };
    if (body !== undefined) {
      headers["content-length"] = Buffer.byteLength(body);
    }
    if (path.endsWith("/error")) {
      headers["lambda-runtime-function-error-type"] = payload.errorType;
    }
    const options = { method, agent: runtimeAgent, headers };
    const req = http.request(`${RUNTIME_API}${path}`, options, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode, headers: res.headers, text });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function errorPayload(err) {
  return {
    errorType: err?.name ?? "Error",
    errorMessage: err?.message ?? String(err),
  };
}

async function postInitError(err) {
  console.error("init failed:", err);
  try {
    await runtimeCall("POST", "/init/error", errorPayload(err));
  } catch (postErr) {
    console.error("could not report the init error:", postErr);
  }
}

// The invocation loop: take the next event, answer it, repeat. A Runtime API failure
// ends the process (the execution environment is then recycled, as by Lambda).
for (;;) {
  const next = await runtimeCall("GET", "/invocation/next");
  if (next.status !== 200) {
    throw new Error(`invocation/next answered ${next.status}: ${next.text}`);
  }
  const requestId = next.headers["lambda-runtime-aws-request-id"];
  let outcome;
  try {
    const result = await getProduct(JSON.parse(next.text), requestId);
    outcome = await runtimeCall("POST", `/invocation/${requestId}/response`, result);
  } catch (err) {
    console.error(`invocation ${requestId} failed:`, err);
    outcome = await runtimeCall("POST", `/invocation/${requestId}/error`, errorPayload(err));
  }
  if (outcome.status !== 202) {
    console.error(`Runtime API answered ${outcome.status} for ${requestId}: ${outcome.text}`);
  }
}
