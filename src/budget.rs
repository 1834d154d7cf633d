//! The run's memory budget, in bytes: documents are admitted against it, not counted.
//!
//! The channels between stages bound how many documents are in flight, not how large
//! they are: eight 200 MB files fit in a channel of eight as well as eight 20 kB ones.
//! So the read stage takes a [`MemoryHold`] of a document's size before it reads the
//! bytes, and waits while the documents already in flight hold the budget. The hold
//! travels with the document and is given back when it is dropped: when the record is
//! made (or the document is found already stored). Decoding may find a document larger
//! than its file (pictures kept whole); [`MemoryHold::grow_to`] counts that without
//! waiting, so the reader waits longer instead.
//!
//! Only the read stage ever waits, and every hold is given back by stages that do not
//! wait, so the budget cannot deadlock. A document larger than the whole budget is
//! admitted alone, once nothing else is held. [`MemoryBudget::close`] ends any wait when
//! the run stops early, so the reader is not left waiting on documents nobody will finish.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

#[derive(Debug, Default)]
struct State {
    held: u64,
    closed: bool,
}

/// Bytes that documents in flight may hold at once.
#[derive(Debug)]
pub struct MemoryBudget {
    capacity: u64,
    state: Mutex<State>,
    released: Condvar,
}

impl MemoryBudget {
    /// A budget of `capacity` bytes (at least 1 MiB: a budget of 0 would admit nothing).
    pub fn new(capacity: u64) -> Arc<MemoryBudget> {
        Arc::new(MemoryBudget {
            capacity: capacity.max(1 << 20),
            state: Mutex::new(State::default()),
            released: Condvar::new(),
        })
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Bytes held now by documents in flight.
    pub fn held(&self) -> u64 {
        self.lock().held
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves only a counter behind: keep using it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `bytes` fit beside what is held (or nothing else is held, for a
    /// document larger than the budget, or the budget is closed), then holds them.
    pub fn admit(self: &Arc<Self>, bytes: u64) -> MemoryHold {
        let mut state = self.lock();
        while !state.closed && state.held > 0 && state.held.saturating_add(bytes) > self.capacity {
            state = self.released.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        state.held = state.held.saturating_add(bytes);
        MemoryHold {
            budget: Some(Arc::clone(self)),
            bytes,
        }
    }

    /// Ends every wait, now and later: the run is stopping and what is in flight will
    /// not be finished.
    pub fn close(&self) {
        self.lock().closed = true;
        self.released.notify_all();
    }

    fn give_back(&self, bytes: u64) {
        let mut state = self.lock();
        state.held = state.held.saturating_sub(bytes);
        drop(state);
        self.released.notify_all();
    }
}

/// Bytes of the budget one document holds; given back when dropped.
#[derive(Debug, Default)]
pub struct MemoryHold {
    budget: Option<Arc<MemoryBudget>>,
    bytes: u64,
}

impl MemoryHold {
    /// A hold on no budget (a document read outside a run: `inspect`, tests).
    pub fn none() -> MemoryHold {
        MemoryHold::default()
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Holds `bytes` in all (more or fewer than now), without waiting: the document is
    /// already in memory, and the reader waits for it instead.
    pub fn grow_to(&mut self, bytes: u64) {
        let Some(budget) = &self.budget else { return };
        if bytes > self.bytes {
            let mut state = budget.lock();
            state.held = state.held.saturating_add(bytes - self.bytes);
        } else if bytes < self.bytes {
            budget.give_back(self.bytes - bytes);
        }
        self.bytes = bytes;
    }
}

impl MemoryHold {
    /// Holds `bytes` in all, waiting (as [`MemoryBudget::admit`] does) until they fit
    /// beside what the other documents in flight hold, or nothing else is held: a
    /// document read whole and found to need more than its size to decode.
    pub fn grow_waiting(&mut self, bytes: u64) {
        let Some(budget) = &self.budget else { return };
        if bytes <= self.bytes {
            return;
        }
        let mut state = budget.lock();
        loop {
            let others = state.held.saturating_sub(self.bytes);
            if state.closed || others == 0 || others.saturating_add(bytes) <= budget.capacity {
                break;
            }
            state = budget
                .released
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        }
        state.held = state.held.saturating_add(bytes - self.bytes);
        self.bytes = bytes;
    }
}

impl Drop for MemoryHold {
    fn drop(&mut self) {
        if let Some(budget) = self.budget.take() {
            budget.give_back(self.bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_document_waits_until_the_bytes_in_flight_leave_room() {
        let budget = MemoryBudget::new(4 << 20);
        let first = budget.admit(3 << 20);
        let waiter = {
            let budget = Arc::clone(&budget);
            std::thread::spawn(move || budget.admit(2 << 20).bytes())
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished(), "admitted beyond the budget");
        assert_eq!(budget.held(), 3 << 20);
        drop(first);
        assert_eq!(waiter.join().ok(), Some(2 << 20));
        assert_eq!(budget.held(), 0);
    }

    #[test]
    fn a_document_larger_than_the_budget_runs_alone() {
        let budget = MemoryBudget::new(1 << 20);
        let big = budget.admit(10 << 20);
        assert_eq!(budget.held(), 10 << 20);
        drop(big);
        let mut small = budget.admit(1000);
        small.grow_to(3 << 20);
        assert_eq!(budget.held(), 3 << 20);
        small.grow_to(10);
        assert_eq!(budget.held(), 10);
    }

    #[test]
    fn growing_waits_for_the_others_only() {
        let budget = MemoryBudget::new(4 << 20);
        let other = budget.admit(2 << 20);
        let mut mine = budget.admit(1 << 20);
        // Alone with its own bytes, a hold grows at once.
        let grower = std::thread::spawn(move || {
            mine.grow_waiting(3 << 20);
            mine
        });
        std::thread::sleep(Duration::from_millis(50));
        assert!(!grower.is_finished(), "grew beyond the budget");
        drop(other);
        let mine = grower.join().ok();
        assert_eq!(mine.as_ref().map(MemoryHold::bytes), Some(3 << 20));
        assert_eq!(budget.held(), 3 << 20);
        drop(mine);
        let mut alone = budget.admit(1 << 20);
        alone.grow_waiting(2 << 20);
        assert_eq!(budget.held(), 2 << 20);
    }

    #[test]
    fn closing_ends_a_wait() {
        let budget = MemoryBudget::new(1 << 20);
        let _held = budget.admit(1 << 20);
        let waiter = {
            let budget = Arc::clone(&budget);
            std::thread::spawn(move || budget.admit(1).bytes())
        };
        std::thread::sleep(Duration::from_millis(20));
        budget.close();
        assert_eq!(waiter.join().ok(), Some(1));
    }
}
