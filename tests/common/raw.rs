//! Hand-made gRPC calls over HTTP/2: any headers (a grpc-timeout the client does
//! not enforce itself), any bytes as the message (truncated, garbage, invalid
//! UTF-8), several messages on one request stream.

use std::net::SocketAddr;

use bytes::Bytes;

/// What the server answered.
#[derive(Debug)]
pub struct RawReply {
    /// The grpc-status (from the headers of a trailers-only reply, else the trailers).
    pub code: tonic::Code,
    /// The grpc-message, percent-decoded.
    pub message: String,
    /// The `grpc-status-details-bin` bytes, decoded as a `google.rpc.Status`.
    pub details: Option<tonic::Status>,
}

/// Frames `message` as one gRPC message (uncompressed).
pub fn frame(message: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(message.len() + 5);
    framed.push(0);
    framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
    framed.extend_from_slice(message);
    framed
}

/// Calls `path` on the server at `addr` with `headers` and the already framed
/// `body` (see [`frame`]), and reads the status.
pub async fn call(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> RawReply {
    exchange(addr, path, headers, body, true).await
}

/// Like [`call`], but leaves the request stream open after `body`, as a client
/// stream that stalls.
pub async fn call_and_stall(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> RawReply {
    exchange(addr, path, headers, body, false).await
}

async fn exchange(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: Vec<u8>, end: bool) -> RawReply {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (client, connection) = h2::client::handshake(tcp).await.expect("http/2 handshake");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut client = client.ready().await.expect("ready");
    let mut request = http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let (response, mut stream) = client.send_request(request.body(()).unwrap(), false).expect("send");
    stream.send_data(Bytes::from(body), end).expect("send body");
    let response = response.await.expect("response");
    let (parts, mut body) = response.into_parts();
    if let Some(reply) = reply_from(&parts.headers) {
        return reply;
    }
    while let Some(chunk) = body.data().await {
        let chunk = chunk.expect("body");
        let _ = body.flow_control().release_capacity(chunk.len());
    }
    let trailers = body
        .trailers()
        .await
        .expect("trailers")
        .expect("the reply has trailers");
    reply_from(&trailers).expect("grpc-status in the trailers")
}

fn reply_from(headers: &http::HeaderMap) -> Option<RawReply> {
    let code = headers.get("grpc-status")?.to_str().ok()?.parse::<i32>().ok()?;
    let mut metadata = tonic::metadata::MetadataMap::from_headers(headers.clone());
    let message = metadata
        .remove("grpc-message")
        .and_then(|m| m.to_str().ok().map(percent_decode))
        .unwrap_or_default();
    let details = tonic::Status::from_header_map(headers);
    Some(RawReply {
        code: tonic::Code::from_i32(code),
        message,
        details,
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
