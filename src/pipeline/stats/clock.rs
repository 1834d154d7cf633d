//! The time a thread spends: wall time and the thread's own CPU time, which is what a
//! document costs whatever else the machine runs (wall time counts the other stages'
//! threads sharing the cores).

use std::time::{Duration, Instant};

/// CPU time this thread has used (`CLOCK_THREAD_CPUTIME_ID`); zero where the platform has
/// no such clock.
pub fn thread_cpu() -> Duration {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec we own; the clock id is a constant
        // every POSIX system with threads has.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        if rc == 0 {
            return Duration::new(
                u64::try_from(ts.tv_sec).unwrap_or(0),
                u32::try_from(ts.tv_nsec).unwrap_or(0),
            );
        }
    }
    Duration::ZERO
}

/// A span of work on one thread: started now, measured by [`Span::end`].
pub struct Span {
    wall: Instant,
    cpu: Duration,
}

/// What a span took.
#[derive(Debug, Clone, Copy, Default)]
pub struct Took {
    pub wall: Duration,
    pub cpu: Duration,
}

impl Span {
    pub fn start() -> Span {
        Span {
            wall: Instant::now(),
            cpu: thread_cpu(),
        }
    }

    pub fn end(&self) -> Took {
        Took {
            wall: self.wall.elapsed(),
            cpu: thread_cpu().saturating_sub(self.cpu),
        }
    }
}

impl std::ops::AddAssign for Took {
    fn add_assign(&mut self, o: Took) {
        self.wall += o.wall;
        self.cpu += o.cpu;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_cpu_counts_work_on_this_thread_not_sleep() {
        let span = Span::start();
        let mut x = 0u64;
        let give_up = Instant::now() + Duration::from_secs(10);
        while span.end().cpu < Duration::from_millis(20) && Instant::now() < give_up {
            for _ in 0..10_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
        }
        std::hint::black_box(x);
        let worked = span.end();
        assert!(worked.cpu >= Duration::from_millis(20), "{worked:?}");
        std::thread::sleep(Duration::from_millis(50));
        let took = span.end();
        // The sleep passed on the wall clock, not on the thread's CPU clock.
        assert!(took.wall >= worked.wall + Duration::from_millis(50));
        assert!(
            took.cpu < worked.cpu + Duration::from_millis(10),
            "{took:?}"
        );
    }
}
