use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};

use super::{Handlers, Returned, Scope, ServiceError, convert};
use crate::{
    access::Method,
    domain::{Alumnus, Violations, validation::validate_alumnus},
    engine::validate_alumni_batch,
    proto::{self, alumni_service_server::AlumniService},
};

/// Items written per durable chunk of a bulk import.
const IMPORT_CHUNK: usize = 1_000;

#[tonic::async_trait]
impl AlumniService for Handlers {
    async fn upsert_alumni(
        &self,
        request: Request<proto::UpsertAlumniRequest>,
    ) -> Result<Response<proto::UpsertAlumniResponse>, Status> {
        self.call(Method::UpsertAlumni, request, |scope, request| async move {
            let mut violations = Violations::new();
            let alumni: Vec<Alumnus> = request
                .alumni
                .into_iter()
                .enumerate()
                .map(|(i, a)| convert::alumnus_from_proto(a, &format!("alumni[{i}]"), &mut violations))
                .collect();
            if !violations.is_empty() {
                // Report every problem at once, not only those found while parsing.
                validate_alumni_batch(&alumni, "alumni", &mut violations);
                return Err(violations.into());
            }
            let count = alumni.len() as u32;
            scope
                .blocking(move |engine| engine.upsert_alumni(alumni, "alumni"))
                .await?;
            Ok(proto::UpsertAlumniResponse { upserted_count: count })
        })
        .await
    }

    async fn import_alumni(
        &self,
        request: Request<Streaming<proto::Alumnus>>,
    ) -> Result<Response<proto::ImportAlumniResponse>, Status> {
        self.call(Method::ImportAlumni, request, |scope, mut stream| async move {
            let mut pending: Vec<Alumnus> = Vec::with_capacity(IMPORT_CHUNK);
            let mut committed: u64 = 0;
            let mut position: u64 = 0;
            loop {
                let Ok(next) = tokio::time::timeout(scope.message_gap_limit, stream.next()).await else {
                    // What arrived before the stall is kept, so the client can resume.
                    write_chunk(&scope, std::mem::take(&mut pending)).await?;
                    return Err(ServiceError::DeadlineExceeded);
                };
                let Some(item) = next else { break };
                let item = item.map_err(ServiceError::Stream)?;
                let path = format!("alumni[{position}]");
                let mut violations = Violations::new();
                let alumnus = convert::alumnus_from_proto(item, &path, &mut violations);
                validate_alumnus(&alumnus, &path, &mut violations);
                if !violations.is_empty() {
                    // Everything before the bad item is made durable, so the client can resume at it.
                    committed += write_chunk(&scope, std::mem::take(&mut pending)).await?;
                    return Err(ServiceError::ImportRejected { committed, violations });
                }
                pending.push(alumnus);
                position += 1;
                if pending.len() == IMPORT_CHUNK {
                    committed += write_chunk(
                        &scope,
                        std::mem::replace(&mut pending, Vec::with_capacity(IMPORT_CHUNK)),
                    )
                    .await?;
                }
            }
            committed += write_chunk(&scope, pending).await?;
            Ok(proto::ImportAlumniResponse {
                imported_count: committed,
            })
        })
        .await
    }

    async fn delete_alumni(
        &self,
        request: Request<proto::DeleteAlumniRequest>,
    ) -> Result<Response<proto::DeleteAlumniResponse>, Status> {
        self.call(Method::DeleteAlumni, request, |scope, request| async move {
            let ids = request.ids;
            let (deleted, not_found, _) = scope.blocking(move |engine| engine.delete_alumni(ids)).await?;
            Ok(proto::DeleteAlumniResponse {
                deleted_count: deleted.len() as u32,
                not_found_ids: not_found,
            })
        })
        .await
    }

    async fn get_alumnus(
        &self,
        request: Request<proto::GetAlumnusRequest>,
    ) -> Result<Response<proto::GetAlumnusResponse>, Status> {
        self.call(Method::GetAlumnus, request, |scope, request| async move {
            let id = request.id;
            let alumnus = scope.blocking(move |engine| engine.get_alumnus(&id)).await?;
            Ok(proto::GetAlumnusResponse {
                alumnus: Some(convert::alumnus_to_proto(alumnus)),
            })
        })
        .await
    }

    async fn purge_deleted(
        &self,
        request: Request<proto::PurgeDeletedRequest>,
    ) -> Result<Response<proto::PurgeDeletedResponse>, Status> {
        self.call(Method::PurgeDeleted, request, |scope, _| async move {
            let report = scope.blocking(|engine| engine.purge_deleted()).await?;
            tracing::info!(
                removed = report.documents_removed,
                segments_before = report.segments_before,
                segments_after = report.segments_after,
                "purged deleted documents"
            );
            Ok(proto::PurgeDeletedResponse {
                documents_removed: report.documents_removed,
                segments_before: report.segments_before as u32,
                segments_after: report.segments_after as u32,
            })
        })
        .await
    }
}

/// Writes one durable chunk of an import; returns how many alumni it held.
async fn write_chunk(scope: &Scope, mut chunk: Vec<Alumnus>) -> Result<u64, ServiceError> {
    if chunk.is_empty() {
        return Ok(0);
    }
    let count = chunk.len() as u64;
    scope.blocking(move |engine| engine.write_alumni(&mut chunk)).await?;
    Ok(count)
}

impl Returned for proto::UpsertAlumniResponse {}
impl Returned for proto::ImportAlumniResponse {}
impl Returned for proto::DeleteAlumniResponse {}
impl Returned for proto::PurgeDeletedResponse {}
impl Returned for proto::GetAlumnusResponse {
    fn returned(&self) -> u64 {
        u64::from(self.alumnus.is_some())
    }
}
