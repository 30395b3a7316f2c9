//! An assistant app: the user opens a thread with the bot in Slack's assistant container
//! (the app's manifest has `assistant_view`), and each thread is a chat of its own. The bot
//! suggests prompts, shows "is looking it up…" while it works, names the thread after the
//! first question, and knows which channel the user is viewing beside the thread.
//!
//! ```text
//! cargo run --example assistant   # type /assistant, then a question (vpn, password, …); /top leaves
//! ```

use slack_orchestrator::prelude::*;

/// The answers the helper knows: words to look for, and what to say.
const ANSWERS: &[(&[&str], &str)] = &[
    (
        &["vpn"],
        "To reset the VPN, quit the client, run `vpn reset` and sign in again.",
    ),
    (
        &["password", "locked"],
        "Reset your password at https://id.example.com/reset; it unlocks the account too.",
    ),
    (
        &["printer", "print"],
        "Printers are added from Settings → Printers; the office one is `floor-2`.",
    ),
    (
        &["laptop", "hardware"],
        "Ask for new hardware with /ticket, area \"hardware\".",
    ),
];

/// The prompts offered in a new thread: (the button's title, the message it sends).
const PROMPTS: [(&str, &str); 3] = [
    ("VPN trouble", "How do I reset the VPN?"),
    ("Locked out", "I forgot my password"),
    ("This channel", "What is this channel about?"),
];

/// The helper's answer to `question`, knowing the channel the user views (if Slack said).
pub fn answer(question: &str, viewing: Option<&str>) -> String {
    let question = question.to_lowercase();
    if question.contains("channel") {
        return match viewing {
            Some(channel) => format!("You are viewing <#{channel}>; its pinned messages say what it is for."),
            None => "Open the channel beside this thread and ask again: Slack tells me which one it is.".to_owned(),
        };
    }
    let found = ANSWERS
        .iter()
        .find(|(words, _)| words.iter().any(|word| question.contains(word)));
    match found {
        Some((_, answer)) => (*answer).to_owned(),
        None => "I don't know that one yet; /ticket asks a person.".to_owned(),
    }
}

/// One assistant thread: greet, then answer every question asked in it. A question in a
/// thread whose chat has ended (or at the top of the DM) starts a new chat that answers it.
#[flow(trigger = assistant, trigger = direct_message, timeout = "1d", timeout_message = false)]
pub mod helper {
    use slack_orchestrator::prelude::*;

    /// The steps of an assistant thread.
    #[derive(Debug, Clone)]
    pub enum Helper {
        /// The thread opened.
        #[start]
        Opened,
        /// Answers questions.
        Chatting {
            /// Questions answered so far.
            answered: u32,
        },
    }

    #[step(Opened)]
    async fn greet(cx: &mut Cx, thread: AssistantThread) -> Next<Helper> {
        if let Some(channel) = thread.viewing {
            cx.set("viewing", channel);
        }
        cx.say("Hi! I answer IT questions. What do you need?").await?;
        cx.suggest_prompts(Some("Try asking"), &super::PROMPTS).await?;
        goto(Helper::Chatting { answered: 0 })
    }

    /// Asked without a thread opened first: answered as in a chat.
    #[step(Opened)]
    async fn asked(cx: &mut Cx, question: Text) -> Next<Helper> {
        ask(cx, 0, question).await
    }

    #[step(Chatting { answered })]
    async fn ask(cx: &mut Cx, answered: u32, question: Text) -> Next<Helper> {
        // A thread has a status and a title; the top of the DM has neither.
        if cx.context().thread_ts.is_some() {
            cx.set_status("is looking it up…").await?;
            if answered == 0 {
                let title: String = question.chars().take(40).collect();
                cx.set_title(&title).await?;
            }
        }
        let viewing: Option<String> = cx.get("viewing");
        cx.say(super::answer(&question, viewing.as_deref())).await?;
        goto(Helper::Chatting { answered: answered + 1 })
    }

    /// The user now views another channel beside the thread.
    #[step(Chatting { answered })]
    async fn moved(cx: &mut Cx, answered: u32, thread: AssistantThread) -> Next<Helper> {
        if let Some(channel) = thread.viewing {
            cx.set("viewing", channel);
        }
        goto(Helper::Chatting { answered })
    }
}

slack_orchestrator::main!(helper::Helper);
