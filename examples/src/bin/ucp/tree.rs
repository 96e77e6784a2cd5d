//! Sources and destinations: resolving `SRC... DST`, walking directories (creating them on
//! the way and fixing their permissions and times at the end), starting one task per file or
//! symlink, and copying symlinks.

use std::fs::{FileTimes, Permissions};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use uring_rt::fs::{self, Metadata, OpenOptions};

use crate::file::{copy_file, place, refuse_existing};
use crate::job::{error, At, Error, Job};

/// Copies every source to `dst` (into it when it is a directory); returns once every file
/// task has finished.
pub(crate) async fn copy_all(
    job: &Rc<Job>,
    sources: Vec<PathBuf>,
    dst: PathBuf,
) -> Result<(), Error> {
    // Checks first, so a refused copy changes nothing.
    let dst_is_dir = fs::metadata(&dst)
        .await
        .map(|m| m.is_dir())
        .unwrap_or(false);
    if sources.len() > 1 && !dst_is_dir {
        return Err(Error::At(
            dst,
            error(
                io::ErrorKind::InvalidInput,
                "not a directory (copying several sources needs a destination directory)",
            ),
        ));
    }
    let mut plan = Vec::with_capacity(sources.len());
    for src in sources {
        let meta = fs::symlink_metadata(&src).await.at(&src)?;
        let target = if dst_is_dir {
            let Some(name) = src.file_name() else {
                return Err(Error::At(
                    src,
                    error(io::ErrorKind::InvalidInput, "has no file name to copy to"),
                ));
            };
            dst.join(name)
        } else {
            dst.clone()
        };
        if meta.is_dir() {
            if !job.options.recursive {
                return Err(Error::At(
                    src,
                    error(
                        io::ErrorKind::InvalidInput,
                        "is a directory (use -r to copy it)",
                    ),
                ));
            }
            refuse_inside(&src, &target)?;
            if let Ok(existing) = fs::metadata(&target).await {
                if !existing.is_dir() {
                    return Err(Error::At(
                        target,
                        error(
                            io::ErrorKind::AlreadyExists,
                            "exists and is not a directory",
                        ),
                    ));
                }
            }
        } else if !meta.is_file() && !meta.is_symlink() {
            return Err(Error::At(
                src,
                error(
                    io::ErrorKind::Unsupported,
                    "not a regular file, directory or symlink (not copied)",
                ),
            ));
        } else if !job.options.force {
            refuse_existing(&target).await?;
        }
        plan.push((src, target, meta));
    }

    let mut dirs = Vec::new();
    let mut result = Ok(());
    for (src, target, meta) in plan {
        result = if meta.is_dir() {
            walk(job, src, target, meta, &mut dirs).await
        } else {
            start(job, src, target, meta, false).await;
            Ok(())
        };
        if result.is_err() {
            break;
        }
    }
    job.wait_all().await;
    result?;
    job.check()?;
    // Deepest first: a directory's times change while its entries are created.
    if job.options.preserve {
        for (dir, meta) in dirs.iter().rev() {
            job.check()?;
            finish_dir(dir, meta).await.at(dir)?;
        }
    }
    Ok(())
}

/// `Err` when `target` is `src` or inside it (copying a tree into itself never ends).
fn refuse_inside(src: &Path, target: &Path) -> Result<(), Error> {
    let src = std::fs::canonicalize(src).at(src)?;
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty());
    let parent = std::fs::canonicalize(parent.unwrap_or(Path::new("."))).at(target)?;
    if parent.starts_with(&src) {
        return Err(Error::At(
            target.to_path_buf(),
            error(
                io::ErrorKind::InvalidInput,
                "is inside the source directory",
            ),
        ));
    }
    Ok(())
}

/// Walks the tree at `src` (depth first), creating its directories under `target` and
/// starting a task for each file and symlink. Directories made are pushed to `dirs`, parents
/// before children.
async fn walk(
    job: &Rc<Job>,
    src: PathBuf,
    target: PathBuf,
    meta: Metadata,
    dirs: &mut Vec<(PathBuf, Metadata)>,
) -> Result<(), Error> {
    let mut stack = vec![(src, target, meta)];
    while let Some((src, target, meta)) = stack.pop() {
        job.check()?;
        let fresh = match fs::create_dir(&target).await {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let existing = fs::metadata(&target).await.at(&target)?;
                if !existing.is_dir() {
                    return Err(Error::At(
                        target,
                        error(
                            io::ErrorKind::AlreadyExists,
                            "exists and is not a directory",
                        ),
                    ));
                }
                false
            }
            Err(e) => return Err(Error::At(target, e)),
        };
        let mut entries = fs::read_dir(&src).await.at(&src)?;
        while let Some(entry) = entries.next_entry().await.at(&src)? {
            job.check()?;
            let path = entry.path();
            let to = target.join(entry.file_name());
            let kind = entry.file_type().at(&path)?;
            if kind.is_dir() {
                let meta = fs::symlink_metadata(&path).await.at(&path)?;
                stack.push((path, to, meta));
            } else if kind.is_file() || kind.is_symlink() {
                start_lazy(job, path, to, kind.is_symlink(), fresh).await;
            } else {
                return Err(Error::At(
                    path,
                    error(
                        io::ErrorKind::Unsupported,
                        "not a regular file, directory or symlink (not copied)",
                    ),
                ));
            }
        }
        dirs.push((target, meta));
    }
    Ok(())
}

/// Starts the task copying a file or symlink whose metadata is known.
async fn start(job: &Rc<Job>, src: PathBuf, dst: PathBuf, meta: Metadata, fresh: bool) {
    job.acquire_slot().await;
    let job = job.clone();
    uring_rt::spawn(async move {
        let result = if meta.is_symlink() {
            copy_symlink(&job, &src, &dst, fresh).await
        } else {
            copy_file(&job, &src, &dst, meta, fresh).await
        };
        if let Err(e) = &result {
            job.record(e);
        }
        job.release_slot();
    });
}

/// Starts the task for a directory entry: it stats the file itself, so stats overlap.
async fn start_lazy(job: &Rc<Job>, src: PathBuf, dst: PathBuf, symlink: bool, fresh: bool) {
    job.acquire_slot().await;
    let job = job.clone();
    uring_rt::spawn(async move {
        let result = if symlink {
            copy_symlink(&job, &src, &dst, fresh).await
        } else {
            match fs::symlink_metadata(&src).await.at(&src) {
                Ok(meta) if meta.is_file() => copy_file(&job, &src, &dst, meta, fresh).await,
                Ok(_) => Err(Error::At(
                    src.clone(),
                    error(io::ErrorKind::Other, "changed type while being copied"),
                )),
                Err(e) => Err(e),
            }
        };
        if let Err(e) = &result {
            job.record(e);
        }
        job.release_slot();
    });
}

/// Copies a symlink as a symlink (its target unchanged), through a temporary name.
async fn copy_symlink(job: &Job, src: &Path, dst: &Path, fresh: bool) -> Result<(), Error> {
    job.check()?;
    if !fresh && !job.options.force {
        refuse_existing(dst).await?;
    }
    let target = fs::read_link(src).await.at(src)?;
    let temp = job.temp_for(dst);
    fs::symlink(&target, &temp).await.at(dst)?;
    job.check()?;
    place(job, &temp, dst, fresh).await?;
    job.forget_temp(&temp);
    job.add_file();
    Ok(())
}

/// Gives a copied directory its source's permissions and times.
async fn finish_dir(dir: &Path, meta: &Metadata) -> io::Result<()> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(dir)
        .await?;
    file.set_permissions(Permissions::from_mode(meta.mode() & 0o7777))
        .await?;
    let mut times = FileTimes::new();
    if let Ok(t) = meta.accessed() {
        times = times.set_accessed(t);
    }
    if let Ok(t) = meta.modified() {
        times = times.set_modified(t);
    }
    file.set_times(times).await?;
    file.close().await
}
