//! Who is speaking, from the audio-level RTP header extension (RFC 6464) that browsers put
//! on every audio packet: a smoothed level with hysteresis, so that the server knows the
//! active speakers without decoding any audio.

use std::time::{Duration, Instant};

/// Louder than this (in -dBov) starts speech.
const START_BELOW: f32 = 50.0;
/// Quieter than this ends it.
const STOP_ABOVE: f32 = 60.0;
/// Weight of a new sample in the moving average (packets come every 20 ms).
const ALPHA: f32 = 0.15;
/// Without audio packets for this long (DTX, mute), the speaker is silent.
const SILENCE_AFTER: Duration = Duration::from_millis(600);

/// Voice activity of one audio stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoiceActivity {
    /// Smoothed level, -dBov (0 loudest, 127 silence).
    level: f32,
    speaking: bool,
    last_packet: Option<Instant>,
}

impl Default for VoiceActivity {
    fn default() -> Self {
        VoiceActivity {
            level: 127.0,
            speaking: false,
            last_packet: None,
        }
    }
}

impl VoiceActivity {
    /// Feeds the level of a packet (0..=127, -dBov); returns the new state if it changed.
    pub fn update(&mut self, level: u8, now: Instant) -> Option<bool> {
        self.level += ALPHA * (f32::from(level.min(127)) - self.level);
        self.last_packet = Some(now);
        let speaking = if self.speaking {
            self.level <= STOP_ABOVE
        } else {
            self.level < START_BELOW
        };
        (speaking != self.speaking).then(|| {
            self.speaking = speaking;
            speaking
        })
    }

    /// Whether the stream is speaking at `now`.
    pub fn is_speaking(&self, now: Instant) -> bool {
        self.speaking
            && self
                .last_packet
                .is_some_and(|t| now.saturating_duration_since(t) < SILENCE_AFTER)
    }

    /// The smoothed level, rounded, in -dBov.
    pub fn level(&self) -> u8 {
        self.level.round() as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hysteresis_and_silence() {
        let t = Instant::now();
        let mut v = VoiceActivity::default();
        let mut changes = Vec::new();
        for i in 0..50 {
            if let Some(s) = v.update(30, t + Duration::from_millis(20 * i)) {
                changes.push(s);
            }
        }
        assert_eq!(changes, vec![true]);
        assert!(v.is_speaking(t + Duration::from_millis(1000)));
        // A short dip does not stop speech.
        assert_eq!(v.update(127, t + Duration::from_millis(1020)), None);
        for i in 0..50 {
            if let Some(s) = v.update(120, t + Duration::from_millis(1040 + 20 * i)) {
                changes.push(s);
            }
        }
        assert_eq!(changes, vec![true, false]);
        // No packets for a while: silent, whatever the last level.
        let mut loud = VoiceActivity::default();
        for i in 0..50 {
            loud.update(10, t + Duration::from_millis(20 * i));
        }
        assert!(!loud.is_speaking(t + Duration::from_secs(5)));
        assert!(loud.level() < 20);
    }
}
