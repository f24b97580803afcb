//! Watching library folders: photos added, changed, moved or deleted while Kindred runs are
//! picked up without a rescan of everything.
//!
//! The operating system reports changes (inotify, FSEvents, ReadDirectoryChangesW through the
//! `notify` crate); folders on network file systems, where such reports do not arrive, are
//! polled instead. Reports are gathered per folder and handed out once the folder has been quiet
//! for a while and none of its files was written in that time, so a photo still being copied is
//! never read half-written. While nothing changes, the watcher waits without waking.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime};

use notify::{EventKind, RecursiveMode, Watcher};

use crate::error::{Error, ErrorKind, Result};
use crate::scan::ScanScope;

/// How long a folder must be quiet before its changes are read.
pub const DEFAULT_QUIET: Duration = Duration::from_secs(2);
/// How often folders on network file systems are looked at.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(60);

enum Message {
    Changed(notify::Result<notify::Event>),
    Stop,
}

/// Stops a [`FolderWatcher`] from another thread.
#[derive(Debug, Clone)]
pub struct WatchStopper(Sender<Message>);

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Message::Changed(_) => "Changed",
            Message::Stop => "Stop",
        })
    }
}

impl WatchStopper {
    pub fn stop(&self) {
        // A watcher already gone needs no stopping.
        let _ = self.0.send(Message::Stop);
    }
}

/// What changed in one folder, not yet handed out.
#[derive(Debug, Clone, Copy)]
struct Pending {
    recursive: bool,
    last_event: Instant,
}

/// Watches library folders and hands out the parts of them that changed.
pub struct FolderWatcher {
    roots: Vec<PathBuf>,
    quiet: Duration,
    receiver: Receiver<Message>,
    sender: Sender<Message>,
    pending: HashMap<PathBuf, Pending>,
    // Kept alive for as long as the watcher runs.
    _watchers: Vec<Box<dyn Watcher + Send>>,
    /// Roots watched by polling (network file systems).
    pub polled: Vec<PathBuf>,
}

impl std::fmt::Debug for FolderWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FolderWatcher").field("roots", &self.roots).field("polled", &self.polled).finish()
    }
}

impl FolderWatcher {
    /// Starts watching `roots` (canonical library folders).
    pub fn start(roots: &[PathBuf], quiet: Duration, poll_interval: Duration) -> Result<FolderWatcher> {
        let (sender, receiver) = mpsc::channel();
        let mut watchers: Vec<Box<dyn Watcher + Send>> = Vec::new();
        let mut polled = Vec::new();
        let describe = |root: &Path, e: notify::Error| {
            Error::new(ErrorKind::Io, format!("cannot watch {} for changes: {e}", root.display()))
        };
        for root in roots {
            let events = sender.clone();
            let handler = move |event| {
                let _ = events.send(Message::Changed(event));
            };
            let mut watcher: Box<dyn Watcher + Send> = if is_on_network_file_system(root) {
                polled.push(root.clone());
                let config = notify::Config::default().with_poll_interval(poll_interval);
                Box::new(notify::PollWatcher::new(handler, config).map_err(|e| describe(root, e))?)
            } else {
                Box::new(notify::recommended_watcher(handler).map_err(|e| describe(root, e))?)
            };
            watcher.watch(root, RecursiveMode::Recursive).map_err(|e| describe(root, e))?;
            watchers.push(watcher);
        }
        Ok(FolderWatcher {
            roots: roots.to_vec(),
            quiet,
            receiver,
            sender,
            pending: HashMap::new(),
            _watchers: watchers,
            polled,
        })
    }

    pub fn stopper(&self) -> WatchStopper {
        WatchStopper(self.sender.clone())
    }

    /// Waits until some folders changed and settled, and returns what to scan again; `None`
    /// once stopped.
    pub fn next_changes(&mut self) -> Option<Vec<ScanScope>> {
        loop {
            let message = match self.next_due() {
                // Nothing pending: sleep until something happens.
                None => self.receiver.recv().ok()?,
                Some(due) => {
                    match self.receiver.recv_timeout(due.saturating_duration_since(Instant::now())) {
                        Ok(message) => message,
                        Err(RecvTimeoutError::Timeout) => {
                            if let Some(scopes) = self.take_settled() {
                                return Some(scopes);
                            }
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => return None,
                    }
                }
            };
            match message {
                Message::Stop => return None,
                Message::Changed(Ok(event)) => self.note(&event),
                // The OS could not keep up (or a watch broke): everything is looked at again.
                Message::Changed(Err(_)) => self.note_everything(),
            }
        }
    }

    fn note(&mut self, event: &notify::Event) {
        if event.need_rescan() {
            return self.note_everything();
        }
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        let now = Instant::now();
        let mut mark = |folder: PathBuf, recursive: bool| {
            let entry = self.pending.entry(folder).or_insert(Pending { recursive, last_event: now });
            entry.recursive |= recursive;
            entry.last_event = now;
        };
        for path in &event.paths {
            if path.is_dir() {
                // A folder that appeared (created, or moved in with its files) is read whole.
                mark(path.clone(), true);
                continue;
            }
            // For a file, its folder is read (a rename reports its old and its new path).
            if let Some(parent) = path.parent() {
                mark(parent.to_path_buf(), false);
            }
            if !path.exists() {
                // What vanished may have been a folder: its photos are accounted for too.
                mark(path.clone(), true);
            }
        }
    }

    fn note_everything(&mut self) {
        let now = Instant::now();
        for root in self.roots.clone() {
            self.pending.insert(root, Pending { recursive: true, last_event: now });
        }
    }

    /// When the earliest pending folder may have settled.
    fn next_due(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.last_event + self.quiet).min()
    }

    /// The folders that have been quiet long enough, as scan scopes per root; `None` when none
    /// has yet.
    fn take_settled(&mut self) -> Option<Vec<ScanScope>> {
        let now = Instant::now();
        let quiet = self.quiet;
        let settled: Vec<(PathBuf, bool)> = self
            .pending
            .iter()
            .filter(|(folder, p)| now >= p.last_event + quiet && !written_recently(folder, quiet))
            .map(|(folder, p)| (folder.clone(), p.recursive))
            .collect();
        // A folder whose files are still being written without events (a network copy) waits.
        for (folder, _) in &settled {
            self.pending.remove(folder);
        }
        for pending in self.pending.values_mut().filter(|p| now >= p.last_event + quiet) {
            pending.last_event = now;
        }
        if settled.is_empty() {
            return None;
        }
        let mut scopes: Vec<ScanScope> = Vec::new();
        for (folder, recursive) in settled {
            let Some(root) = self.roots.iter().find(|r| folder.starts_with(r)) else { continue };
            let folders = match scopes.iter_mut().find(|s| &s.root == root) {
                Some(scope) => scope,
                None => {
                    scopes.push(ScanScope { root: root.clone(), folders: Some(Vec::new()) });
                    scopes.last_mut().expect("just pushed")
                }
            };
            if let Some(list) = &mut folders.folders {
                list.push((folder, recursive));
            }
        }
        Some(scopes)
    }
}

/// Whether a file directly in `folder` was modified less than `quiet` ago.
fn written_recently(folder: &Path, quiet: Duration) -> bool {
    let Ok(entries) = std::fs::read_dir(folder) else { return false };
    let now = SystemTime::now();
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .any(|m| m.modified().ok().and_then(|t| now.duration_since(t).ok()).is_some_and(|age| age < quiet))
}

/// File systems whose changes the OS does not report to a watcher on this machine.
const NETWORK_FILE_SYSTEMS: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "afs",
    "9p",
    "ncpfs",
    "fuse.sshfs",
    "fuse.rclone",
    "davfs",
    "fuse.davfs2",
];

/// Whether `path` lies on a network file system (Linux: from `/proc/self/mountinfo`).
pub fn is_on_network_file_system(path: &Path) -> bool {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mountinfo") else { return false };
    file_system_of(&mounts, path).is_some_and(|fs| NETWORK_FILE_SYSTEMS.contains(&fs.as_str()))
}

/// The file system type of the deepest mount point holding `path`, from mountinfo lines
/// (`id parent major:minor root mount-point options ... - type source options`).
fn file_system_of(mountinfo: &str, path: &Path) -> Option<String> {
    mountinfo
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            let mount_point = fields.nth(4)?.replace("\\040", " ");
            let fs_type = line.split(" - ").nth(1)?.split(' ').next()?.to_string();
            Some((PathBuf::from(mount_point), fs_type))
        })
        .filter(|(mount_point, _)| path.starts_with(mount_point))
        .max_by_key(|(mount_point, _)| mount_point.components().count())
        .map(|(_, fs_type)| fs_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_system_of_a_path_is_its_deepest_mount() {
        let mountinfo = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n\
            40 22 0:35 / /mnt/nas rw,relatime shared:20 - nfs4 nas:/photos rw\n\
            41 22 0:36 / /mnt/my\\040share rw - cifs //srv/share rw\n";
        assert_eq!(file_system_of(mountinfo, Path::new("/home/anna/Pictures")).as_deref(), Some("ext4"));
        assert_eq!(file_system_of(mountinfo, Path::new("/mnt/nas/2019")).as_deref(), Some("nfs4"));
        assert_eq!(file_system_of(mountinfo, Path::new("/mnt/my share/x")).as_deref(), Some("cifs"));
    }
}
