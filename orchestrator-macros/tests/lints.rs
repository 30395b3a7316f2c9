//! The generated code is clean under strict lints: a flow written with care compiles
//! without a single warning (and `cargo clippy --all-targets -- -D warnings` checks clippy's).
#![deny(warnings, missing_docs, unreachable_pub, unused, rust_2018_idioms, unsafe_code)]
#![deny(clippy::all, clippy::pedantic)]

use slack_orchestrator::prelude::*;

/// A flow with every kind of handler.
#[flow(name = "strict", trigger = mention, trigger = command("/strict"), timeout = "1m", on_timeout = expired,
       participants = anyone, version = 3)]
pub mod strict {
    use slack_orchestrator::prelude::*;

    /// The steps.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Strict {
        /// First.
        #[start]
        Begin,
        /// Waiting for a choice.
        #[timeout("30s")]
        Choose {
            /// A counter.
            count: u32,
            /// Unused by the handlers.
            note: String,
        },
        /// Done.
        #[terminal]
        End,
    }

    #[step(Begin)]
    async fn begin(cx: &mut Cx) -> Next<Strict> {
        cx.say("begin").await?;
        goto(Strict::Choose {
            count: 0,
            note: String::new(),
        })
    }

    #[step(Choose { count })]
    async fn choose_text(_cx: &mut Cx, count: u32, text: Text) -> Next<Strict> {
        if text.as_str() == "end" {
            return goto(Strict::End);
        }
        goto(Strict::Choose {
            count: count + 1,
            note: text.into(),
        })
    }

    #[step(Choose)]
    async fn choose_click(_cx: &mut Cx, _click: Click) -> Next<Strict> {
        reask()
    }

    async fn expired(cx: &mut Cx, _step: Strict) -> Result<(), StepError> {
        cx.set("expired", true);
        Ok(())
    }
}

#[test]
fn the_strict_flow_has_its_options_and_graph() {
    let options = <strict::Strict as Flow>::options();
    assert_eq!((options.name.as_str(), options.version), ("strict", 3));
    assert_eq!(options.participants, slack_orchestrator::Participants::Anyone);
    let step = strict::Strict::Choose {
        count: 1,
        note: String::new(),
    };
    assert_eq!(step.step_timeout(), Some(std::time::Duration::from_secs(30)));
    assert!(strict::Strict::End.is_terminal());
    let mermaid = <strict::Strict as Flow>::graph().to_mermaid();
    assert!(mermaid.contains("Choose --> End: Text"), "{mermaid}");
    assert!(mermaid.contains("Choose --> Choose: Click / stay"), "{mermaid}");
    assert!(mermaid.contains("End --> [*]"), "{mermaid}");
}
