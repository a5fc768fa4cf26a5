//! `AdminService`: consistent backups of a tenant's store while serving.

use std::{
    io::Read,
    path::{Path, PathBuf},
    pin::Pin,
};

use sha2::{Digest, Sha256};
use tokio_stream::{Stream, wrappers::ReceiverStream};
use tonic::{Request, Response, Status};

use super::Handlers;
use crate::{
    proto::{self, admin_service_server::AdminService},
    service::{Call, ServiceError},
};

/// Bytes per backup message.
const CHUNK_BYTES: usize = 1024 * 1024;

/// The stream of a backup's chunks.
pub type BackupStream = Pin<Box<dyn Stream<Item = Result<proto::BackupResponse, Status>> + Send>>;

#[tonic::async_trait]
impl AdminService for Handlers {
    type BackupStream = BackupStream;

    async fn backup(&self, request: Request<proto::BackupRequest>) -> Result<Response<Self::BackupStream>, Status> {
        let call = Call::of(&request)?;
        let (path, summary) = self.run(&call, |engine, _| engine.backup_to_file()).await?;
        let file = TemporaryFile(path);
        let digest = {
            let path = file.0.clone();
            tokio::task::spawn_blocking(move || sha256_of(&path))
                .await
                .map_err(ServiceError::from)?
                .map_err(ServiceError::from)?
        };
        let bytes = std::fs::metadata(&file.0).map_err(ServiceError::from)?.len();
        let summary = proto::BackupSummary {
            alumni: summary.alumni,
            opportunities: summary.opportunities,
            shortlists: summary.shortlists,
            alumni_seq: summary.alumni_seq,
            bytes,
            sha256: digest,
        };
        tracing::info!(alumni = summary.alumni, bytes, "backup taken");
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        let cancel = call.cancellation();
        tokio::task::spawn_blocking(move || {
            let result = stream_file(&file.0, summary, &sender, &cancel);
            if let Err(status) = result {
                let _ = sender.blocking_send(Err(status));
            }
            drop(file);
        });
        Ok(Response::new(
            Box::pin(ReceiverStream::new(receiver)) as Self::BackupStream
        ))
    }
}

/// Sends the file in chunks, the summary with the first; stops when the client
/// goes away.
fn stream_file(
    path: &Path,
    summary: proto::BackupSummary,
    sender: &tokio::sync::mpsc::Sender<Result<proto::BackupResponse, Status>>,
    cancel: &crate::engine::Cancellation,
) -> Result<(), Status> {
    let mut file = std::fs::File::open(path).map_err(|e| Status::from(ServiceError::from(e)))?;
    let mut summary = Some(summary);
    let mut buffer = vec![0u8; CHUNK_BYTES];
    loop {
        if cancel.is_stopped() {
            return Ok(());
        }
        let read = file
            .read(&mut buffer)
            .map_err(|e| Status::from(ServiceError::from(e)))?;
        if read == 0 && summary.is_none() {
            return Ok(());
        }
        let message = proto::BackupResponse {
            chunk: buffer[..read].to_vec(),
            summary: summary.take(),
        };
        if sender.blocking_send(Ok(message)).is_err() {
            return Ok(());
        }
        if read == 0 {
            return Ok(());
        }
    }
}

fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK_BYTES];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Removes the server-side copy once it has been streamed (or abandoned).
struct TemporaryFile(PathBuf);

impl Drop for TemporaryFile {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_file(&self.0)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(%error, path = %self.0.display(), "could not remove a backup's temporary copy");
        }
    }
}
