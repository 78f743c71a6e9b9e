//! What the relay does to each direction, and the commands that change it.

use std::time::Duration;

use str0m_netem::{Bitrate, DataSize, NetemConfig, Probability, RandomLoss};

/// How one direction of the relay is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Shape {
    /// Bottleneck rate, kbit/s; `None`: unlimited.
    pub kbps: Option<u64>,
    /// Queue of the bottleneck, as the time it takes to drain at its rate (tail drop).
    pub buffer: Duration,
    /// Share of packets lost at random, 0..1.
    pub loss: f32,
    /// One-way delay.
    pub delay: Duration,
    /// Random variation of the delay, up to this much either way.
    pub jitter: Duration,
}

impl Shape {
    /// The str0m-netem configuration of this shape (deterministic: a fixed seed).
    pub fn netem(&self) -> NetemConfig {
        let mut c = NetemConfig::new()
            .latency(self.delay)
            .jitter(self.jitter)
            .seed(1);
        if self.loss > 0.0 {
            c = c.loss(RandomLoss::new(Probability::new(self.loss)));
        }
        if let Some(kbps) = self.kbps {
            let bytes = (kbps as f64 * 1000.0 / 8.0 * self.buffer.as_secs_f64()) as i64;
            // At least a few full-size packets, or nothing gets through at all.
            c = c.link(Bitrate::kbps(kbps), DataSize::bytes(bytes.max(4 * 1500)));
        }
        c
    }
}

/// Which direction a command changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Server to participant.
    Down,
    /// Participant to server.
    Up,
}

/// A command of the relay's control input, one per line:
/// `<down|up> rate <kbps|off>`, `<down|up> loss <percent>`, `<down|up> delay <ms>`,
/// `<down|up> jitter <ms>`, `<down|up> buffer <ms>`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Command {
    pub way: Way,
    pub change: Change,
}

/// What a [`Command`] changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    Rate(Option<u64>),
    Loss(f32),
    Delay(Duration),
    Jitter(Duration),
    Buffer(Duration),
}

/// A control line that is not a command.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a command: {0:?} (expected e.g. \"down rate 300\", \"up loss 5\", \"down delay 50\")")]
pub struct BadCommand(pub String);

impl Command {
    pub fn parse(line: &str) -> Result<Command, BadCommand> {
        let bad = || BadCommand(line.chars().take(200).collect());
        let words: Vec<&str> = line.split_whitespace().collect();
        let [way, what, value] = words[..] else {
            return Err(bad());
        };
        let way = match way {
            "down" => Way::Down,
            "up" => Way::Up,
            _ => return Err(bad()),
        };
        let number = || value.parse::<u64>().map_err(|_| bad());
        let change = match what {
            "rate" if value == "off" => Change::Rate(None),
            "rate" => Change::Rate(Some(number()?)),
            "loss" => {
                let p: f32 = value.parse().map_err(|_| bad())?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(bad());
                }
                Change::Loss(p / 100.0)
            }
            "delay" => Change::Delay(Duration::from_millis(number()?)),
            "jitter" => Change::Jitter(Duration::from_millis(number()?)),
            "buffer" => Change::Buffer(Duration::from_millis(number()?)),
            _ => return Err(bad()),
        };
        Ok(Command { way, change })
    }

    /// Applies the command to the shape of its direction.
    pub fn apply(&self, shape: &mut Shape) {
        match self.change {
            Change::Rate(r) => shape.kbps = r,
            Change::Loss(l) => shape.loss = l,
            Change::Delay(d) => shape.delay = d,
            Change::Jitter(j) => shape.jitter = j,
            Change::Buffer(b) => shape.buffer = b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_command() {
        let c = |s| Command::parse(s).unwrap();
        assert_eq!(c("down rate 300").change, Change::Rate(Some(300)));
        assert_eq!(c("down rate off").change, Change::Rate(None));
        assert_eq!(c("up loss 2.5").way, Way::Up);
        assert_eq!(c("up loss 2.5").change, Change::Loss(0.025));
        assert_eq!(
            c(" down  delay 40 ").change,
            Change::Delay(Duration::from_millis(40))
        );
        assert_eq!(
            c("down jitter 5").change,
            Change::Jitter(Duration::from_millis(5))
        );
        assert_eq!(
            c("down buffer 200").change,
            Change::Buffer(Duration::from_millis(200))
        );
        for bad in [
            "",
            "down",
            "down rate",
            "sideways rate 3",
            "down rate -1",
            "up loss 101",
            "down speed 3",
            "down rate 3 4",
        ] {
            assert!(Command::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn commands_change_only_their_field() {
        let mut s = Shape::default();
        Command::parse("down rate 300").unwrap().apply(&mut s);
        Command::parse("down loss 10").unwrap().apply(&mut s);
        assert_eq!(s.kbps, Some(300));
        assert!((s.loss - 0.1).abs() < 1e-6);
        assert_eq!(s.delay, Duration::ZERO);
        // The shape always makes a netem configuration.
        let _ = s.netem();
    }
}
