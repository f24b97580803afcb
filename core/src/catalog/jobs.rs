//! Job rows: a record of every long job, so that a job killed with its process is visible
//! as interrupted and its work can be resumed.

use rusqlite::params;

use super::Catalog;
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Running,
    Completed,
    Cancelled,
    Failed,
    Interrupted,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Failed => "failed",
            JobStatus::Interrupted => "interrupted",
        }
    }

    fn parse(text: &str) -> JobStatus {
        match text {
            "running" => JobStatus::Running,
            "completed" => JobStatus::Completed,
            "cancelled" => JobStatus::Cancelled,
            "failed" => JobStatus::Failed,
            _ => JobStatus::Interrupted,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub status: JobStatus,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub done: u64,
    pub total: u64,
    pub message: Option<String>,
}

impl Catalog {
    /// Runs `work` as a recorded job: a shared lock on the job-lock file tells other processes
    /// the job is alive, and the row ends as `outcome` says, or failed with the error.
    pub(crate) fn run_job<T>(
        &mut self,
        kind: &str,
        work: impl FnOnce(&mut Catalog, i64) -> Result<T>,
        outcome: impl FnOnce(&T) -> (JobStatus, Option<String>),
    ) -> Result<T> {
        let lock = self.job_lock_file()?;
        if let Some(lock) = &lock {
            lock.lock_shared()
                .map_err(|e| crate::error::Error::io(self.path(), "cannot lock the library", e))?;
        }
        let job = self.start_job(kind, &crate::time::now_utc())?;
        let result = work(self, job);
        let (status, message) = match &result {
            Ok(value) => outcome(value),
            Err(e) => (JobStatus::Failed, Some(e.to_string())),
        };
        self.finish_job(job, status, message.as_deref(), &crate::time::now_utc())?;
        drop(lock);
        result
    }

    pub(crate) fn start_job(&self, kind: &str, now: &str) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO jobs (kind, status, started_at) VALUES (?1, 'running', ?2)",
            params![kind, now],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub(crate) fn update_job_progress(&self, id: i64, done: u64, total: u64) -> Result<()> {
        self.conn.execute("UPDATE jobs SET done = ?2, total = ?3 WHERE id = ?1", params![id, done, total])?;
        Ok(())
    }

    pub(crate) fn finish_job(
        &self,
        id: i64,
        status: JobStatus,
        message: Option<&str>,
        now: &str,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE jobs SET status = ?2, message = ?3, finished_at = ?4 WHERE id = ?1",
            params![id, status.as_str(), message, now],
        )?;
        Ok(())
    }

    /// Marks jobs left 'running' by a process that died. Every process running a job holds a
    /// shared lock on the library's job-lock file for as long as the job runs; when we can take it
    /// exclusively, no job is alive and every 'running' row is a leftover.
    pub(crate) fn mark_interrupted_jobs(&self) -> Result<()> {
        let Some(lock) = self.job_lock_file()? else { return Ok(()) };
        if lock.try_lock().is_ok() {
            self.conn.execute("UPDATE jobs SET status = 'interrupted' WHERE status = 'running'", [])?;
            let _ = lock.unlock();
        }
        Ok(())
    }

    /// The file whose shared lock marks "a job of this library is running here".
    /// `None` for in-memory catalogs, which no other process can see.
    pub(crate) fn job_lock_file(&self) -> Result<Option<std::fs::File>> {
        if self.path.as_os_str() == ":memory:" {
            return Ok(None);
        }
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".jobs.lock");
        let lock_path = self.path.with_file_name(name);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| crate::error::Error::io(&lock_path, "cannot open the job lock", e))?;
        Ok(Some(file))
    }

    /// The most recent jobs, newest first.
    pub fn recent_jobs(&self, limit: u32) -> Result<Vec<JobRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, status, started_at, finished_at, done, total, message
             FROM jobs ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok(JobRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                status: JobStatus::parse(&r.get::<_, String>(2)?),
                started_at: r.get(3)?,
                finished_at: r.get(4)?,
                done: r.get(5)?,
                total: r.get(6)?,
                message: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
