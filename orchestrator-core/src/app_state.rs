//! [`AppState`]: the bot's shared application state (a database pool, a config, an HTTP
//! client), registered on the orchestrator's builder and reached from any step with
//! [`Cx::state`](crate::Cx::state), by type, without global statics.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

/// Values of any `Send + Sync` types, one per type.
///
/// ```
/// use orchestrator_core::AppState;
/// struct Config { greeting: &'static str }
/// let mut state = AppState::default();
/// state.insert(Config { greeting: "Hello" });
/// assert_eq!(state.get::<Config>().unwrap().greeting, "Hello");
/// assert!(state.get::<String>().is_err());
/// ```
#[derive(Default, Clone)]
pub struct AppState {
    values: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

/// A step asked for app state of a type nobody registered.
///
/// ```
/// use orchestrator_core::AppState;
/// let state = AppState::default();
/// let missing = state.get::<String>().unwrap_err();
/// assert!(missing.to_string().starts_with("no app state of type `alloc::string::String`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no app state of type `{type_name}`: register one with `Orchestrator::builder().state(value)`")]
pub struct MissingState {
    /// The type asked for.
    pub type_name: &'static str,
}

impl AppState {
    /// Registers `value`, replacing an earlier value of the same type.
    ///
    /// ```
    /// use orchestrator_core::AppState;
    /// struct Approvers(Vec<&'static str>);
    /// let mut state = AppState::default();
    /// state.insert(Approvers(vec!["U_ANA"]));
    /// state.insert(Approvers(vec!["U_BOB"])); // replaces the first
    /// assert_eq!(state.get::<Approvers>().unwrap().0, ["U_BOB"]);
    /// ```
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.values.insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// The value of type `T`.
    ///
    /// ```
    /// use orchestrator_core::AppState;
    /// struct Config { channel: &'static str }
    /// let mut state = AppState::default();
    /// state.insert(Config { channel: "C_OPS" });
    /// assert_eq!(state.get::<Config>().unwrap().channel, "C_OPS");
    /// assert!(state.get::<u64>().is_err(), "a type never registered");
    /// ```
    pub fn get<T: Send + Sync + 'static>(&self) -> Result<&T, MissingState> {
        self.values
            .get(&TypeId::of::<T>())
            .and_then(|value| value.downcast_ref::<T>())
            .ok_or(MissingState {
                type_name: std::any::type_name::<T>(),
            })
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("values", &self.values.len()).finish()
    }
}
