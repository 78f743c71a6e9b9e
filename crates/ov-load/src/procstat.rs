//! CPU time and resident memory of a process, from Linux's `/proc`. CPU usage in cores is
//! the growth of user + system time divided by the wall time between two readings, so a
//! process busy on two threads reads 2.0.

use std::time::{Duration, Instant};

/// Clock ticks per second of `/proc/<pid>/stat` times: Linux's USER_HZ, fixed at 100 in
/// its user-space ABI on every architecture this runs on (`getconf CLK_TCK`).
const TICKS_PER_SECOND: f64 = 100.0;

/// One reading of a process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcReading {
    /// When it was read.
    pub at: Instant,
    /// utime + stime, in ticks.
    pub cpu_ticks: u64,
    /// Resident set size, bytes.
    pub rss_bytes: u64,
}

/// Reads `/proc/<pid>`; `None` for this process.
pub fn read(pid: Option<u32>) -> std::io::Result<ProcReading> {
    let dir = pid.map_or_else(|| "/proc/self".to_owned(), |p| format!("/proc/{p}"));
    let stat = std::fs::read_to_string(format!("{dir}/stat"))?;
    let status = std::fs::read_to_string(format!("{dir}/status"))?;
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    Ok(ProcReading {
        at: Instant::now(),
        cpu_ticks: cpu_ticks(&stat).ok_or_else(|| bad("unreadable /proc stat"))?,
        rss_bytes: rss_bytes(&status).ok_or_else(|| bad("no VmRSS in /proc status"))?,
    })
}

/// utime + stime of a `/proc/<pid>/stat` line. The command name (field 2) is in
/// parentheses and may contain spaces or parentheses, so fields are counted after the
/// last `)`: state is field 3, utime 14, stime 15.
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS` of `/proc/<pid>/status`, in bytes (the file says kB).
pub fn rss_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Cores used between two readings.
pub fn cores(before: &ProcReading, after: &ProcReading) -> f64 {
    cores_from(
        after.cpu_ticks.saturating_sub(before.cpu_ticks),
        after.at.saturating_duration_since(before.at),
    )
}

fn cores_from(ticks: u64, wall: Duration) -> f64 {
    if wall.is_zero() {
        return 0.0;
    }
    ticks as f64 / TICKS_PER_SECOND / wall.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_the_command_name() {
        let stat = "4242 (open vidu) (x)) S 1 4242 4242 0 -1 4194560 1200 0 0 0 \
                    730 270 0 0 20 0 9 0 123456 1000000 5000 18446744073709551615";
        assert_eq!(cpu_ticks(stat), Some(1000));
        assert_eq!(cpu_ticks("garbage"), None);
        assert_eq!(cpu_ticks("1 (x) S 1 2"), None);
    }

    #[test]
    fn rss_from_status() {
        let status = "Name:\topenvidu-rs\nVmPeak:\t  99999 kB\nVmRSS:\t   52100 kB\nThreads:\t3\n";
        assert_eq!(rss_bytes(status), Some(52_100 * 1024));
        assert_eq!(rss_bytes("Name:\tx\n"), None);
    }

    #[test]
    fn cores_are_ticks_over_wall_time() {
        assert!((cores_from(150, Duration::from_secs(1)) - 1.5).abs() < 1e-9);
        assert!((cores_from(100, Duration::from_secs(2)) - 0.5).abs() < 1e-9);
        assert_eq!(cores_from(100, Duration::ZERO), 0.0);
    }

    #[test]
    fn cpu_time_grows_while_this_process_burns_cpu() {
        let before = read(None).unwrap();
        // Spin for 300 ms of wall time: even on a busy shared machine this thread gets
        // well over the 5 ticks (50 ms) asserted below.
        let mut x = 0u64;
        while before.at.elapsed() < Duration::from_millis(300) {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        let after = read(Some(std::process::id())).unwrap();
        let ticks = after.cpu_ticks - before.cpu_ticks;
        assert!(ticks >= 5, "{ticks} ticks of CPU in 300 ms of spinning");
        let used = cores(&before, &after);
        let available = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        // One spinning thread: at least a sixth of a core, at most every core (plus the
        // rounding of a 10 ms tick over 300 ms).
        assert!(
            used > 0.15 && used < available + 0.1,
            "{used} cores, {available} available"
        );
    }

    #[test]
    fn resident_memory_is_this_process_s_and_follows_its_allocations() {
        let before = read(None).unwrap().rss_bytes;
        assert!(
            (1 << 20..4 << 30).contains(&before),
            "a test process is between 1 MiB and 4 GiB: {before}"
        );
        // Touch 64 MiB: resident memory grows by about as much.
        let block = vec![1u8; 64 << 20];
        std::hint::black_box(&block);
        let after = read(None).unwrap().rss_bytes;
        assert!(
            after >= before + (48 << 20),
            "{before} -> {after} bytes after touching 64 MiB"
        );
    }
}
