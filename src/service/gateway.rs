//! The JSON gateway the console calls: `POST /api/<package.Service>/<Method>` with a
//! request in the proto3 JSON mapping, answered with the response in the same
//! mapping (field names as in the proto files, defaults included).
//!
//! It is derived from the proto, not written per method: the request and response
//! types come from the compiled descriptors, so every unary and server-streaming
//! RPC is reachable and a new one needs no code here. And it is not a second way
//! into the engine: each call goes, in process, through the same tower stack as a
//! gRPC call from the network (audit, authentication, admission, deadline, the
//! handler's conversion and validation). The gateway translates JSON and
//! protobuf, and gRPC statuses into HTTP ones; it decides nothing.
//!
//! A server-streaming RPC (Rescore) answers `application/x-ndjson`: one JSON
//! message per line as the server sends them, and a last `{"error": …}` line if
//! the stream ends with an error. Client-streaming RPCs (ImportAlumni) are for
//! gRPC clients only.

use std::{convert::Infallible, net::SocketAddr, str::FromStr};

use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use prost_reflect::{DescriptorPool, DeserializeOptions, DynamicMessage, MessageDescriptor, SerializeOptions};
use tokio_stream::StreamExt;
use tonic::{
    Code, Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    transport::server::TcpConnectInfo,
};
use tonic_types::StatusExt;

use super::{
    Authentication,
    auth::{API_KEY_HEADER, AUTHORIZATION},
    layers::{HttpRequest, HttpResponse},
};
use crate::{access::Method, proto};

/// The API as a tower service: the layered routes the gRPC server serves.
pub(crate) type ApiService = tower::util::BoxCloneSyncService<HttpRequest, HttpResponse, Infallible>;

/// The one package the gateway exposes (not health, not reflection).
const API_PACKAGE: &str = "alumni.matching.v1";

/// What the gateway needs: the descriptors, the API, and the authentication (for
/// `/api/session` only: who the key belongs to, so the console shows what the
/// role may do).
#[derive(Clone)]
pub struct Gateway {
    pool: DescriptorPool,
    api: ApiService,
    authentication: Authentication,
}

impl Gateway {
    /// A gateway over `api`; fails only if the compiled descriptors do not load.
    pub fn new(api: ApiService, authentication: Authentication) -> Result<Self, String> {
        // The global pool holds the well-known types (Timestamp) our files import.
        let mut pool = DescriptorPool::global();
        pool.decode_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .map_err(|e| format!("the API descriptors do not load: {e}"))?;
        Ok(Self {
            pool,
            api,
            authentication,
        })
    }
}

/// `POST /api/{service}/{method}`.
pub async fn call(
    State(gateway): State<Gateway>,
    Path((service, method)): Path<(String, String)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(descriptor) = gateway
        .pool
        .get_service_by_name(&service)
        .filter(|s| s.package_name() == API_PACKAGE)
        .and_then(|s| s.methods().find(|m| m.name() == method))
    else {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("no method {service}/{method}"),
        );
    };
    if descriptor.is_client_streaming() {
        return error(
            StatusCode::NOT_IMPLEMENTED,
            "UNIMPLEMENTED",
            &format!("{method} streams its requests: call it over gRPC"),
        );
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim() == "application/json"));
    if !is_json {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "INVALID_ARGUMENT",
            "send the request as application/json",
        );
    }
    let request = match parse(descriptor.input(), &body) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", &message),
    };
    let mut request = tonic::Request::new(request);
    for name in [AUTHORIZATION, API_KEY_HEADER] {
        if let Some(value) = headers.get(name)
            && let Ok(value) = tonic::metadata::AsciiMetadataValue::try_from(value.as_bytes())
        {
            request.metadata_mut().insert(name, value);
        }
    }
    // The browser's address, for the access log, as a network call would have it.
    request.extensions_mut().insert(TcpConnectInfo {
        local_addr: None,
        remote_addr: Some(peer),
    });
    let path = match http::uri::PathAndQuery::from_str(&format!("/{service}/{method}")) {
        Ok(path) => path,
        Err(e) => return error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", &e.to_string()),
    };
    let mut grpc = tonic::client::Grpc::new(gateway.api.clone());
    if let Err(e) = grpc.ready().await {
        return error(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", &e.to_string());
    }
    let codec = DynamicCodec {
        output: descriptor.output(),
    };
    if descriptor.is_server_streaming() {
        match grpc.server_streaming(request, path, codec).await {
            Ok(response) => ndjson(response.into_inner()),
            Err(status) => status_response(&status),
        }
    } else {
        match grpc.unary(request, path, codec).await {
            Ok(response) => json(StatusCode::OK, to_json(&response.into_inner())),
            Err(status) => status_response(&status),
        }
    }
}

/// `GET /api/session`: the caller's tenant, role and the methods it may call.
pub async fn session(State(gateway): State<Gateway>, headers: HeaderMap) -> Response {
    match gateway.authentication.authenticate(&headers) {
        Ok(principal) => {
            let methods: Vec<&str> = Method::ALL
                .iter()
                .filter(|m| principal.role.may_call(**m))
                .map(|m| m.name())
                .collect();
            json(
                StatusCode::OK,
                serde_json::json!({
                    "tenant": principal.tenant.as_str(),
                    "role": principal.role.name(),
                    "key_id": principal.key_id,
                    "methods": methods,
                }),
            )
        }
        Err(_) => error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "a valid API key is required (Authorization: Bearer <key>)",
        ),
    }
}

fn parse(descriptor: MessageDescriptor, body: &[u8]) -> Result<DynamicMessage, String> {
    let descriptor_name = descriptor.full_name().to_owned();
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let message = DynamicMessage::deserialize_with_options(
        descriptor,
        &mut deserializer,
        &DeserializeOptions::new().deny_unknown_fields(true),
    )
    .map_err(|e| format!("the request does not fit {}: {e}", descriptor_name))?;
    deserializer
        .end()
        .map_err(|e| format!("trailing data after the request: {e}"))?;
    Ok(message)
}

fn to_json(message: &DynamicMessage) -> serde_json::Value {
    let options = SerializeOptions::new()
        .use_proto_field_name(true)
        .skip_default_fields(false)
        .stringify_64_bit_integers(false);
    message
        .serialize_with_options(serde_json::value::Serializer, &options)
        .unwrap_or_else(|e| serde_json::json!({ "error": { "code": "INTERNAL", "message": e.to_string() } }))
}

fn ndjson(stream: tonic::Streaming<DynamicMessage>) -> Response {
    let lines = stream.map(|item| {
        let value = match item {
            Ok(message) => to_json(&message),
            Err(status) => serde_json::json!({ "error": status_json(&status) }),
        };
        let mut line = serde_json::to_vec(&value).unwrap_or_default();
        line.push(b'\n');
        Ok::<_, Infallible>(Bytes::from(line))
    });
    let mut response = Response::new(Body::from_stream(lines));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    super::console::add_security_headers(response.headers_mut());
    response
}

fn status_json(status: &Status) -> serde_json::Value {
    let mut value = serde_json::json!({
        "code": code_name(status.code()),
        "message": status.message(),
    });
    let details = status.get_error_details();
    if let Some(bad_request) = details.bad_request() {
        value["field_violations"] = bad_request
            .field_violations
            .iter()
            .map(|v| serde_json::json!({ "field": v.field, "description": v.description }))
            .collect();
    }
    if let Some(info) = details.error_info() {
        value["reason"] = info.reason.clone().into();
        value["metadata"] = serde_json::to_value(&info.metadata).unwrap_or_default();
    }
    if let Some(retry) = details.retry_info()
        && let Some(delay) = retry.retry_delay
    {
        value["retry_after_seconds"] = delay.as_secs_f64().into();
    }
    value
}

fn status_response(status: &Status) -> Response {
    json(
        http_status(status.code()),
        serde_json::json!({ "error": status_json(status) }),
    )
}

/// gRPC codes as HTTP statuses, as google.rpc.Code documents the mapping.
fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn code_name(code: Code) -> &'static str {
    super::metrics::code_name(code)
}

fn json(status: StatusCode, value: serde_json::Value) -> Response {
    let mut response = (status, serde_json::to_string(&value).unwrap_or_default()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    super::console::add_security_headers(headers);
    response
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json(
        status,
        serde_json::json!({ "error": { "code": code, "message": message } }),
    )
}

/// Encodes and decodes [`DynamicMessage`]s of the method's types.
struct DynamicCodec {
    output: MessageDescriptor,
}

impl Codec for DynamicCodec {
    type Encode = DynamicMessage;
    type Decode = DynamicMessage;
    type Encoder = DynamicEncoder;
    type Decoder = DynamicDecoder;

    fn encoder(&mut self) -> Self::Encoder {
        DynamicEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        DynamicDecoder(self.output.clone())
    }
}

struct DynamicEncoder;

impl Encoder for DynamicEncoder {
    type Item = DynamicMessage;
    type Error = Status;

    fn encode(&mut self, item: Self::Item, dst: &mut EncodeBuf<'_>) -> Result<(), Self::Error> {
        prost::Message::encode(&item, dst).map_err(|e| Status::internal(format!("encoding the request: {e}")))
    }
}

struct DynamicDecoder(MessageDescriptor);

impl Decoder for DynamicDecoder {
    type Item = DynamicMessage;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Self::Item>, Self::Error> {
        DynamicMessage::decode(self.0.clone(), src)
            .map(Some)
            .map_err(|e| Status::internal(format!("decoding the response: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> DescriptorPool {
        let mut pool = DescriptorPool::global();
        pool.decode_file_descriptor_set(proto::FILE_DESCRIPTOR_SET).unwrap();
        pool
    }

    #[test]
    fn json_requests_parse_by_the_proto_and_unknown_fields_are_refused() {
        let pool = pool();
        let input = pool.get_message_by_name("alumni.matching.v1.MatchRequest").unwrap();
        let message = parse(
            input.clone(),
            br#"{"opportunity_id": "opp-1", "limit": 5, "explain": true}"#,
        )
        .unwrap();
        let decoded: proto::MatchRequest = message.transcode_to().unwrap();
        assert_eq!(decoded.limit, 5);
        assert!(decoded.explain);
        assert_eq!(
            decoded.target,
            Some(proto::match_request::Target::OpportunityId("opp-1".into()))
        );
        assert!(parse(input.clone(), br#"{"limit": 5, "nonsense": 1}"#).is_err());
        assert!(parse(input.clone(), br#"{"limit": "many"}"#).is_err());
        assert!(parse(input.clone(), b"{} trailing").is_err());
        assert!(parse(input, b"").is_ok(), "an empty body is the empty message");
    }

    #[test]
    fn responses_use_the_proto_field_names_and_keep_defaults() {
        let pool = pool();
        let output = pool.get_message_by_name("alumni.matching.v1.MatchResponse").unwrap();
        let response = proto::MatchResponse {
            candidates: vec![proto::Candidate {
                alumnus_id: "a1".into(),
                display_name: "山田 花子".into(),
                score: 0.5,
                ..Default::default()
            }],
            ..Default::default()
        };
        let message = DynamicMessage::decode(output, prost::Message::encode_to_vec(&response).as_slice()).unwrap();
        let value = to_json(&message);
        assert_eq!(value["candidates"][0]["display_name"], "山田 花子");
        assert_eq!(value["candidates"][0]["rank"], 0, "defaults are present");
        assert_eq!(value["total_eligible"], 0);
        assert_eq!(value["next_page_token"], "");
    }

    #[test]
    fn grpc_codes_map_to_the_documented_http_statuses() {
        assert_eq!(http_status(Code::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(http_status(Code::PermissionDenied), StatusCode::FORBIDDEN);
        assert_eq!(http_status(Code::Unauthenticated), StatusCode::UNAUTHORIZED);
        assert_eq!(http_status(Code::ResourceExhausted), StatusCode::TOO_MANY_REQUESTS);
        let status = Status::with_error_details(
            Code::InvalidArgument,
            "bad",
            tonic_types::ErrorDetails::with_bad_request_violation("limit", "at most 1000"),
        );
        let value = status_json(&status);
        assert_eq!(value["code"], "INVALID_ARGUMENT");
        assert_eq!(value["field_violations"][0]["field"], "limit");
    }
}
