//! Sign-in throttling: failed sign-ins counted per username and per client address over a sliding
//! window; past the limit, sign-in answers 429 without looking at the password.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::AuthSettings;

/// Keys kept per map before expired ones are swept out eagerly (the maintenance task sweeps
/// every minute anyway).
const SWEEP_ABOVE: usize = 10_000;

/// Failure times per key, oldest first; never longer than the limit, as refused attempts are
/// not recorded.
struct Windows<K> {
    max: usize,
    map: HashMap<K, VecDeque<Instant>>,
    sweep_above: usize,
}

impl<K: Eq + Hash + Clone> Windows<K> {
    fn new(max: u32) -> Self {
        Self {
            max: max.max(1) as usize,
            map: HashMap::new(),
            sweep_above: SWEEP_ABOVE,
        }
    }

    /// How long until `key` may try again, if it has used up its failures.
    fn wait(&mut self, key: &K, now: Instant, window: Duration) -> Option<Duration> {
        let q = self.map.get_mut(key)?;
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        if q.len() < self.max {
            return None;
        }
        q.front()
            .map(|oldest| window.saturating_sub(now.duration_since(*oldest)))
    }

    fn record(&mut self, key: K, now: Instant, window: Duration) {
        if self.map.len() >= self.sweep_above {
            self.sweep(now, window);
            self.sweep_above = (self.map.len() * 2).max(SWEEP_ABOVE);
        }
        let q = self.map.entry(key).or_default();
        q.push_back(now);
        while q.len() > self.max {
            q.pop_front();
        }
    }

    /// Takes back one recorded attempt (a sign-in that turned out to succeed).
    fn forget(&mut self, key: &K, at: Instant) {
        if let Some(q) = self.map.get_mut(key) {
            if let Some(i) = q.iter().rposition(|t| *t == at) {
                q.remove(i);
            }
            if q.is_empty() {
                self.map.remove(key);
            }
        }
    }

    fn clear(&mut self, key: &K) {
        self.map.remove(key);
    }

    fn sweep(&mut self, now: Instant, window: Duration) {
        self.map.retain(|_, q| {
            q.retain(|t| now.duration_since(*t) < window);
            !q.is_empty()
        });
    }
}

struct Inner {
    users: Windows<String>,
    addresses: Windows<IpAddr>,
}

/// The sign-in throttle of one process (`auth.max_failures_per_user`,
/// `auth.max_failures_per_address`, `auth.failure_window_secs`).
pub struct SignInThrottle {
    window: Duration,
    inner: Mutex<Inner>,
}

/// One sign-in in progress: counted as a failure until `SignInThrottle::succeeded` says otherwise,
/// so that parallel guesses cannot slip past the limit while the passwords are being checked.
#[derive(Debug)]
pub struct Attempt {
    user: Option<String>,
    address: Option<IpAddr>,
    at: Instant,
}

impl SignInThrottle {
    pub fn new(settings: &AuthSettings) -> Self {
        Self {
            window: Duration::from_secs(settings.failure_window_secs.max(1)),
            inner: Mutex::new(Inner {
                users: Windows::new(settings.max_failures_per_user),
                addresses: Windows::new(settings.max_failures_per_address),
            }),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a sign-in for `user` (when it is a plausible username) from `address`. Refused with
    /// the whole seconds to wait when either has used up its failures in the window.
    pub fn begin(&self, user: Option<&str>, address: Option<IpAddr>) -> Result<Attempt, u64> {
        self.begin_at(user, address, Instant::now())
    }

    fn begin_at(
        &self,
        user: Option<&str>,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt, u64> {
        let address = address.map(bucket);
        let window = self.window;
        let mut inner = self.inner();
        let user_wait = user.and_then(|u| inner.users.wait(&u.to_owned(), now, window));
        let address_wait = address.and_then(|a| inner.addresses.wait(&a, now, window));
        if let Some(wait) = user_wait.max(address_wait) {
            // Round up: a client that waits exactly this long finds the oldest failure expired.
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(secs.max(1));
        }
        if let Some(u) = user {
            inner.users.record(u.to_owned(), now, window);
        }
        if let Some(a) = address {
            inner.addresses.record(a, now, window);
        }
        Ok(Attempt {
            user: user.map(str::to_owned),
            address,
            at: now,
        })
    }

    /// The sign-in succeeded: the user's failures are forgotten and this attempt no longer counts
    /// against the address (its earlier failures still do).
    pub fn succeeded(&self, attempt: Attempt) {
        let mut inner = self.inner();
        if let Some(u) = &attempt.user {
            inner.users.clear(u);
        }
        if let Some(a) = &attempt.address {
            inner.addresses.forget(a, attempt.at);
        }
    }

    /// Drops expired failures (called by the maintenance task).
    pub fn retain_recent(&self) {
        let now = Instant::now();
        let window = self.window;
        let mut inner = self.inner();
        inner.users.sweep(now, window);
        inner.addresses.sweep(now, window);
    }
}

/// IPv6 clients are counted per /64, the block one subscriber usually holds; IPv4 per address.
fn bucket(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & (u128::MAX << 64)).into()),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_user: u32, per_address: u32, window_secs: u64) -> SignInThrottle {
        SignInThrottle::new(&AuthSettings {
            max_failures_per_user: per_user,
            max_failures_per_address: per_address,
            failure_window_secs: window_secs,
            ..AuthSettings::default()
        })
    }

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn ip(s: &str) -> Result<Option<IpAddr>, std::net::AddrParseError> {
        s.parse().map(Some)
    }

    /// The attempt, or an error naming the wait it was refused with.
    fn admitted(begun: Result<Attempt, u64>) -> Result<Attempt, String> {
        begun.map_err(|wait| format!("refused, wait {wait} s"))
    }

    #[test]
    fn a_user_is_throttled_after_its_failures_until_the_oldest_expires() -> TestResult {
        let t = throttle(3, 100, 60);
        let t0 = Instant::now();
        for i in 0..3 {
            admitted(t.begin_at(Some("an"), ip("192.0.2.1")?, t0 + Duration::from_secs(i)))?;
        }
        // From any address: the limit is the user's.
        let wait = t
            .begin_at(Some("an"), ip("192.0.2.99")?, t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, 50);
        assert!(
            t.begin_at(Some("binh"), ip("192.0.2.1")?, t0 + Duration::from_secs(10))
                .is_ok(),
            "other users are not affected"
        );
        assert!(
            t.begin_at(Some("an"), ip("192.0.2.1")?, t0 + Duration::from_secs(60))
                .is_ok(),
            "the first failure has expired"
        );
        Ok(())
    }

    #[test]
    fn an_address_is_throttled_across_usernames() -> TestResult {
        let t = throttle(100, 4, 60);
        let t0 = Instant::now();
        for i in 0..4 {
            admitted(t.begin_at(Some(&format!("user{i}")), ip("203.0.113.7")?, t0))?;
        }
        assert_eq!(
            t.begin_at(Some("someone-else"), ip("203.0.113.7")?, t0)
                .unwrap_err(),
            60
        );
        assert!(
            t.begin_at(Some("someone-else"), ip("203.0.113.8")?, t0)
                .is_ok()
        );
        // An IPv6 subscriber's /64 counts as one address.
        for i in 0..4 {
            admitted(t.begin_at(None, ip(&format!("2001:db8:1:2::{i}"))?, t0))?;
        }
        assert!(t.begin_at(None, ip("2001:db8:1:2:ffff::1")?, t0).is_err());
        assert!(t.begin_at(None, ip("2001:db8:1:3::1")?, t0).is_ok());
        Ok(())
    }

    #[test]
    fn a_success_forgets_the_users_failures_but_not_the_addresss() -> TestResult {
        let t = throttle(3, 5, 60);
        let t0 = Instant::now();
        for _ in 0..2 {
            admitted(t.begin_at(Some("an"), ip("192.0.2.1")?, t0))?;
        }
        let ok = admitted(t.begin_at(Some("an"), ip("192.0.2.1")?, t0))?;
        t.succeeded(ok);
        for _ in 0..3 {
            admitted(t.begin_at(Some("an"), ip("192.0.2.1")?, t0))?;
        }
        assert!(
            t.begin_at(Some("an"), ip("192.0.2.2")?, t0).is_err(),
            "three new failures"
        );
        // The address has 2 + 3 failures (the success was taken back): it is at its limit.
        assert!(t.begin_at(Some("binh"), ip("192.0.2.1")?, t0).is_err());
        Ok(())
    }

    #[test]
    fn refused_attempts_do_not_extend_the_wait_and_sweeping_forgets() -> TestResult {
        let t = throttle(1, 100, 60);
        let t0 = Instant::now();
        admitted(t.begin_at(Some("an"), None, t0))?;
        for s in 1..30 {
            assert!(
                t.begin_at(Some("an"), None, t0 + Duration::from_secs(s))
                    .is_err()
            );
        }
        assert!(
            t.begin_at(Some("an"), None, t0 + Duration::from_secs(60))
                .is_ok()
        );
        let mut inner = t.inner();
        inner.users.sweep(t0 + Duration::from_secs(500), t.window);
        assert!(inner.users.map.is_empty());
        Ok(())
    }
}
