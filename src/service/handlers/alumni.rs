//! `AlumniService`: writes and reads of alumni profiles.

use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};

use super::Handlers;
use crate::{
    domain::Alumnus,
    engine::Engine,
    proto::{self, alumni_service_server::AlumniService},
    service::{Call, ServiceError, convert},
};

/// Items written per durable chunk of a bulk import.
const IMPORT_CHUNK: usize = 1_000;

#[tonic::async_trait]
impl AlumniService for Handlers {
    async fn upsert_alumni(
        &self,
        request: Request<proto::UpsertAlumniRequest>,
    ) -> Result<Response<proto::UpsertAlumniResponse>, Status> {
        let call = Call::of(&request)?;
        let mut alumni = convert::upsert_alumni_request(request.into_inner()).map_err(ServiceError::from)?;
        let count = alumni.len() as u32;
        self.run(&call, move |engine, _| engine.write_alumni(&mut alumni))
            .await?;
        Ok(Response::new(proto::UpsertAlumniResponse { upserted_count: count }))
    }

    async fn import_alumni(
        &self,
        request: Request<Streaming<proto::ImportAlumniRequest>>,
    ) -> Result<Response<proto::ImportAlumniResponse>, Status> {
        let call = Call::of(&request)?;
        let engine = self.engine(&call).await?;
        let imported = self.import(&call, engine, request.into_inner()).await?;
        Ok(Response::new(proto::ImportAlumniResponse {
            imported_count: imported,
        }))
    }

    async fn delete_alumni(
        &self,
        request: Request<proto::DeleteAlumniRequest>,
    ) -> Result<Response<proto::DeleteAlumniResponse>, Status> {
        let call = Call::of(&request)?;
        let ids = convert::delete_alumni_request(request.into_inner()).map_err(ServiceError::from)?;
        let outcome = self.run(&call, move |engine, _| engine.delete_alumni(&ids)).await?;
        Ok(Response::new(proto::DeleteAlumniResponse {
            deleted_count: outcome.deleted.len() as u32,
            not_found_ids: outcome.not_found,
        }))
    }

    async fn get_alumnus(
        &self,
        request: Request<proto::GetAlumnusRequest>,
    ) -> Result<Response<proto::GetAlumnusResponse>, Status> {
        let call = Call::of(&request)?;
        let id = convert::id_argument("id", request.into_inner().id).map_err(ServiceError::from)?;
        let alumnus = self.run(&call, move |engine, _| engine.get_alumnus(&id)).await?;
        call.set_returned(1);
        Ok(Response::new(proto::GetAlumnusResponse {
            alumnus: Some(convert::alumnus_to_proto(alumnus)),
        }))
    }

    async fn purge_deleted(
        &self,
        request: Request<proto::PurgeDeletedRequest>,
    ) -> Result<Response<proto::PurgeDeletedResponse>, Status> {
        let call = Call::of(&request)?;
        let report = self.run(&call, |engine, _| engine.purge_deleted()).await?;
        tracing::info!(
            removed = report.documents_removed,
            segments_before = report.segments_before,
            segments_after = report.segments_after,
            "purged deleted documents"
        );
        Ok(Response::new(proto::PurgeDeletedResponse {
            documents_removed: report.documents_removed,
            segments_before: report.segments_before as u32,
            segments_after: report.segments_after as u32,
        }))
    }
}

impl Handlers {
    /// Reads an import stream, writing durable chunks. Whatever stops it (an
    /// invalid, undecodable or oversized item, an idle stream, a revoked key, a
    /// full disk), every item before the stop is written and counted in the
    /// error's `committed`, so the client can resume there.
    async fn import(
        &self,
        call: &Call,
        engine: std::sync::Arc<Engine>,
        mut stream: Streaming<proto::ImportAlumniRequest>,
    ) -> Result<u64, ServiceError> {
        let principal = call.caller()?.clone();
        let authentication = &self.shared.authentication;
        let mut generation = crate::service::auth::UNCHECKED;
        let idle = self.shared.stream_idle_timeout;
        let mut pending: Vec<Alumnus> = Vec::with_capacity(IMPORT_CHUNK);
        let mut committed: u64 = 0;
        let mut position: u64 = 0;
        let stop = loop {
            let next = match tokio::time::timeout(idle, stream.next()).await {
                Ok(next) => next,
                Err(_) => break Some(ServiceError::StreamIdle(idle)),
            };
            let Some(item) = next else { break None };
            // Checked per item: a key revoked while the stream is open writes
            // nothing that arrives after the revocation.
            if !authentication.still_valid(&principal, &mut generation) {
                tracing::warn!("an import stream's key was revoked; ending the stream");
                break Some(ServiceError::KeyRevoked);
            }
            let item = match item {
                Ok(item) => item,
                Err(status) => break Some(ServiceError::Stream(status)),
            };
            match convert::import_item(item, position) {
                Ok(alumnus) => pending.push(alumnus),
                Err(violations) => break Some(violations.into()),
            }
            position += 1;
            if pending.len() == IMPORT_CHUNK {
                let chunk = std::mem::replace(&mut pending, Vec::with_capacity(IMPORT_CHUNK));
                match write_chunk(&engine, chunk).await {
                    Ok(written) => committed += written,
                    Err(error) => break Some(error),
                }
            }
        };
        match write_chunk(&engine, pending).await {
            Ok(written) => committed += written,
            Err(error) => {
                return Err(ServiceError::ImportStopped {
                    committed,
                    cause: Box::new(error),
                });
            }
        }
        match stop {
            None => Ok(committed),
            Some(cause) => Err(ServiceError::ImportStopped {
                committed,
                cause: Box::new(cause),
            }),
        }
    }
}

/// Writes one durable chunk of an import; returns how many alumni it held.
async fn write_chunk(engine: &std::sync::Arc<Engine>, mut chunk: Vec<Alumnus>) -> Result<u64, ServiceError> {
    if chunk.is_empty() {
        return Ok(0);
    }
    let count = chunk.len() as u64;
    let engine = engine.clone();
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(|| engine.write_alumni(&mut chunk))).await??;
    Ok(count)
}
