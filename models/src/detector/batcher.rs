//! Detection requests from several threads gathered into one forward pass on a GPU.
//!
//! The face job searches several photos side by side, each on its own thread, one
//! [`Detector::detect`](super::Detector::detect) call per photo. On a GPU one 640-pixel image
//! leaves most of the device idle, so the calls that arrive within a few milliseconds of each
//! other for inputs of one padded size are run as one batch. Results are those of the same
//! images detected one at a time: same size, same padding.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Images per forward pass at most.
pub(crate) const MAX_BATCH: usize = 16;
/// How long the first request of a batch waits for others.
const WINDOW: Duration = Duration::from_millis(3);

/// Inputs of one padded size waiting for their pass.
struct Open {
    /// Tickets in input order.
    tickets: Vec<u64>,
    /// The network inputs of each ticket, concatenated.
    inputs: Vec<Vec<f32>>,
}

#[derive(Default)]
struct State {
    open: HashMap<(usize, usize), Open>,
    /// Each finished ticket's output, or `None` where its batch failed.
    finished: HashMap<u64, Option<Vec<f32>>>,
    next_ticket: u64,
}

#[derive(Default)]
pub(crate) struct Batcher {
    state: Mutex<State>,
    changed: Condvar,
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").finish_non_exhaustive()
    }
}

impl Batcher {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `input` (one image's network input, of padded size `key`) through `forward`
    /// together with the inputs other threads submit meanwhile, and returns its output.
    ///
    /// `forward` takes the inputs of a batch and returns one output per input.
    pub(crate) fn run(
        &self,
        key: (usize, usize),
        input: Vec<f32>,
        forward: impl FnOnce(Vec<Vec<f32>>) -> Vec<Vec<f32>>,
    ) -> Vec<f32> {
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        let leader = !state.open.contains_key(&key);
        let open = state.open.entry(key).or_insert_with(|| Open { tickets: Vec::new(), inputs: Vec::new() });
        open.tickets.push(ticket);
        open.inputs.push(input);
        if open.tickets.len() >= MAX_BATCH {
            self.changed.notify_all();
        }
        if leader {
            let deadline = Instant::now() + WINDOW;
            loop {
                let full = state.open.get(&key).is_some_and(|o| o.tickets.len() >= MAX_BATCH);
                let now = Instant::now();
                if full || now >= deadline {
                    break;
                }
                state = self.changed.wait_timeout(state, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
            }
            let Open { tickets, inputs } = state.open.remove(&key).expect("the leader's batch");
            drop(state);
            // A panic in the pass must not leave the other threads waiting forever.
            let outputs = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| forward(inputs)));
            let mut state = self.lock();
            let mut mine = None;
            match outputs {
                Ok(outputs) => {
                    for (t, out) in tickets.into_iter().zip(outputs) {
                        if t == ticket {
                            mine = Some(out);
                        } else {
                            state.finished.insert(t, Some(out));
                        }
                    }
                }
                Err(panic) => {
                    for t in tickets.into_iter().filter(|t| *t != ticket) {
                        state.finished.insert(t, None);
                    }
                    self.changed.notify_all();
                    drop(state);
                    std::panic::resume_unwind(panic);
                }
            }
            self.changed.notify_all();
            return mine.expect("one output per input");
        }
        loop {
            if let Some(out) = state.finished.remove(&ticket) {
                return out.expect("the batch this detection was part of failed");
            }
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}
