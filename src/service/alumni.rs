use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};

use super::{Handlers, ServiceError, convert, observe};
use crate::{
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
        observe("UpsertAlumni", async {
            let request = request.into_inner();
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
            self.blocking(move |engine| engine.upsert_alumni(alumni, "alumni"))
                .await?;
            Ok(proto::UpsertAlumniResponse { upserted_count: count })
        })
        .await
    }

    async fn import_alumni(
        &self,
        request: Request<Streaming<proto::Alumnus>>,
    ) -> Result<Response<proto::ImportAlumniResponse>, Status> {
        observe("ImportAlumni", async {
            let mut stream = request.into_inner();
            let mut pending: Vec<Alumnus> = Vec::with_capacity(IMPORT_CHUNK);
            let mut committed: u64 = 0;
            let mut position: u64 = 0;
            while let Some(item) = stream.next().await {
                let item = item.map_err(ServiceError::Stream)?;
                let path = format!("alumni[{position}]");
                let mut violations = Violations::new();
                let alumnus = convert::alumnus_from_proto(item, &path, &mut violations);
                validate_alumnus(&alumnus, &path, &mut violations);
                if !violations.is_empty() {
                    // Everything before the bad item is made durable, so the client can resume at it.
                    committed += self.write_chunk(std::mem::take(&mut pending)).await?;
                    return Err(ServiceError::ImportRejected { committed, violations });
                }
                pending.push(alumnus);
                position += 1;
                if pending.len() == IMPORT_CHUNK {
                    committed += self
                        .write_chunk(std::mem::replace(&mut pending, Vec::with_capacity(IMPORT_CHUNK)))
                        .await?;
                }
            }
            committed += self.write_chunk(pending).await?;
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
        observe("DeleteAlumni", async {
            let ids = request.into_inner().ids;
            let (deleted, not_found, _) = self.blocking(move |engine| engine.delete_alumni(ids)).await?;
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
        observe("GetAlumnus", async {
            let id = request.into_inner().id;
            let alumnus = self.blocking(move |engine| engine.get_alumnus(&id)).await?;
            Ok(proto::GetAlumnusResponse {
                alumnus: Some(convert::alumnus_to_proto(alumnus)),
            })
        })
        .await
    }
}

impl Handlers {
    async fn write_chunk(&self, mut chunk: Vec<Alumnus>) -> Result<u64, ServiceError> {
        if chunk.is_empty() {
            return Ok(0);
        }
        let count = chunk.len() as u64;
        self.blocking(move |engine| engine.write_alumni(&mut chunk)).await?;
        Ok(count)
    }
}
