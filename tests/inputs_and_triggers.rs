//! Every input type and trigger, end to end through the test kit.

use slack_orchestrator::prelude::*;
use slack_orchestrator::testkit::{TestBot, TEAM};
use slack_orchestrator::{FlowState, Outcome, SlackApi, SlackRequest};

#[flow(trigger = action("start_survey"), trigger = regex(r"^report (bug|idea)$"), participants = anyone)]
#[allow(unreachable_pub)]
mod intake {
    use slack_orchestrator::prelude::*;

    /// Collects an attachment, then who should look at it.
    pub enum Intake {
        #[start]
        Begin,
        Attachment,
        Reviewer {
            files: Vec<String>,
        },
    }

    #[step(Begin)]
    async fn begin(cx: &mut Cx) -> Next<Intake> {
        let how = match cx.incoming().map(|i| &i.payload) {
            Some(slack_orchestrator::Payload::Action(_)) => "button",
            _ => "message",
        };
        cx.say(format!("Started by {how}. Attach the file, please.")).await?;
        goto(Intake::Attachment)
    }

    #[step(Attachment)]
    async fn attachment(cx: &mut Cx, files: Files) -> Next<Intake> {
        let names: Vec<String> = files.iter().filter_map(|f| f.name.clone()).collect();
        cx.say(format!("Got {}. Who should review it?", names.join(", ")))
            .await?;
        let menu = serde_json::json!([blocks::actions(
            "who",
            vec![serde_json::json!({
            "type": "users_select", "action_id": "reviewer",
            "placeholder": {"type": "plain_text", "text": "Pick someone"}})]
        )]);
        cx.send_interactive_message("Pick a reviewer", menu).await?;
        goto(Intake::Reviewer { files: names })
    }

    #[step(Attachment)]
    async fn no_attachment(cx: &mut Cx, _text: Text) -> Next<Intake> {
        cx.say("That was text; attach a file.").await?;
        stay()
    }

    #[step(Reviewer { files })]
    async fn reviewer(_cx: &mut Cx, files: Vec<String>, choice: Selection) -> Next<Intake> {
        complete(format!("<@{}> will review {}.", choice.value, files.join(", ")))
    }
}

#[flow(trigger = keyword("checklist"))]
#[allow(unreachable_pub)]
mod checklist {
    use slack_orchestrator::prelude::*;

    /// A checklist in a message: each tick comes back with every box now checked; a
    /// multi-select of helpers beside it.
    pub enum Checklist {
        #[start]
        Show,
        Ticking,
    }

    #[step(Show)]
    async fn show(cx: &mut Cx) -> Next<Checklist> {
        let items = [("laptop", "Laptop"), ("badge", "Badge"), ("desk", "Desk")];
        let helpers = serde_json::json!({"type": "multi_users_select", "action_id": "helpers",
            "placeholder": {"type": "plain_text", "text": "Who helps?"}});
        let list = serde_json::json!([blocks::actions(
            "items",
            vec![blocks::checkboxes("done", &items, &["badge"]), helpers]
        )]);
        cx.send_interactive_message("Tick what you have", list).await?;
        goto(Checklist::Ticking)
    }

    #[step(Ticking)]
    async fn ticking(cx: &mut Cx, chosen: Selection) -> Next<Checklist> {
        let mentions: Vec<String> = chosen.values.iter().map(|u| format!("<@{u}>")).collect();
        match chosen.action_id.as_str() {
            "helpers" => cx.say(format!("Helpers: {}", mentions.join(" "))).await?,
            _ if chosen.values.len() == 3 => return complete("All set!"),
            _ => {
                let ticked = chosen.values.join(", ");
                cx.say(format!("{}/3 ticked: [{ticked}]", chosen.values.len())).await?
            }
        };
        stay()
    }
}

#[flow(trigger = command("/order"))]
#[allow(unreachable_pub)]
mod order {
    use slack_orchestrator::prelude::*;

    /// A modal whose "Add an item" button grows it, keeping what was typed.
    pub enum Order {
        #[start]
        Open,
        Filling,
    }

    fn form(items: usize, typed: &[String]) -> serde_json::Value {
        let mut inputs: Vec<serde_json::Value> = (1..=items)
            .map(|n| blocks::text_input(&format!("item{n}"), &format!("item{n}"), &format!("Item {n}")))
            .collect();
        for (input, text) in inputs.iter_mut().zip(typed) {
            input["element"]["initial_value"] = serde_json::json!(text);
        }
        inputs.push(blocks::actions(
            "more",
            vec![blocks::button("add", "Add an item", "add")],
        ));
        blocks::modal("order", "Order", "Send", inputs)
    }

    #[step(Open)]
    async fn open(cx: &mut Cx) -> Next<Order> {
        cx.open_modal(form(1, &[])).await?;
        goto(Order::Filling)
    }

    #[step(Filling)]
    async fn add(cx: &mut Cx, click: Click) -> Next<Order> {
        let Some(view) = click.view else {
            return stay();
        };
        let typed: Vec<String> = view.fields.iter().flat_map(|f| f.values.clone()).collect();
        cx.update_modal(view.view_id, form(view.fields.len() + 1, &typed))
            .await?;
        stay()
    }

    #[step(Filling)]
    async fn send(_cx: &mut Cx, form: Submission) -> Next<Order> {
        let items: Vec<&str> = form
            .fields
            .iter()
            .filter_map(|f| f.values.first())
            .map(String::as_str)
            .collect();
        complete(format!("Ordered: {}", items.join(", ")))
    }
}

#[flow(trigger = keyword("triage"))]
#[allow(unreachable_pub)]
mod triage {
    use slack_orchestrator::prelude::*;

    /// Finds an issue with an external select, whose options the bot searches as the
    /// user types.
    pub enum Triage {
        #[start]
        Ask,
        Pick,
    }

    /// The issues the search looks in.
    pub const ISSUES: [(&str, &str); 4] = [
        ("PROJ-1", "Login fails on Safari"),
        ("PROJ-2", "Logo is blurry"),
        ("PROJ-3", "Slow search"),
        ("PROJ-4", "Logout button hidden"),
    ];

    /// The options for what the user typed: the issues whose key or title holds it.
    pub async fn search(asked: Suggestion) -> Vec<SelectOption> {
        let typed = asked.value.to_lowercase();
        ISSUES
            .iter()
            .filter(|(key, title)| key.to_lowercase().contains(&typed) || title.to_lowercase().contains(&typed))
            .map(|(key, title)| SelectOption::new(*key, format!("{key} {title}")))
            .collect()
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<Triage> {
        let select = serde_json::json!({"type": "external_select", "action_id": "issue", "min_query_length": 2,
            "placeholder": {"type": "plain_text", "text": "Find an issue"}});
        let blocks = serde_json::json!([blocks::actions("find", vec![select])]);
        cx.send_interactive_message("Which issue?", blocks).await?;
        goto(Triage::Pick)
    }

    #[step(Pick)]
    async fn pick(_cx: &mut Cx, issue: Selection) -> Next<Triage> {
        complete(format!("Triaging {}.", issue.value))
    }
}

#[flow(trigger = keyword("deploy"), trigger = mention)]
#[allow(unreachable_pub)]
mod deploy {
    use slack_orchestrator::prelude::*;

    /// Asks for a go-ahead by reaction.
    pub enum Deploy {
        #[start]
        Ask,
        Wait,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<Deploy> {
        cx.say("Deploy to production? React with :white_check_mark: or :x:.")
            .await?;
        goto(Deploy::Wait)
    }

    #[step(Wait)]
    async fn decided(cx: &mut Cx, reaction: Reaction) -> Next<Deploy> {
        match (reaction.name.as_str(), reaction.added) {
            ("white_check_mark", true) => complete("Deploying."),
            ("x", true) => complete("Not deploying."),
            (other, added) => {
                let what = if added { "added" } else { "took back" };
                cx.say(format!("You {what} :{other}:; I wait for :white_check_mark: or :x:."))
                    .await?;
                stay()
            }
        }
    }
}

#[flow(trigger = command("/signoff"))]
#[allow(unreachable_pub)]
mod signoff {
    use slack_orchestrator::prelude::*;

    /// Asks the approver named in the command, in their DM, to sign off by reaction.
    pub enum Signoff {
        #[start]
        Ask,
        Wait,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx, command: Command) -> Next<Signoff> {
        let approver = command.text.trim().to_owned();
        let dm = cx.open_dm(&approver).await?;
        cx.post_to(dm, "Sign off the release? React with :white_check_mark:.", None)
            .await?;
        cx.hand_over([approver]);
        goto(Signoff::Wait)
    }

    #[step(Wait)]
    async fn signed(_cx: &mut Cx, reaction: Reaction) -> Next<Signoff> {
        complete(format!("Signed off (:{}:).", reaction.name))
    }
}

#[flow(trigger = member_joined)]
#[allow(unreachable_pub)]
mod welcome {
    use slack_orchestrator::prelude::*;

    /// Greets whoever joins a channel, at the top of it, and asks which team they are on.
    pub enum Welcome {
        #[start]
        Greet,
        AskTeam,
    }

    #[step(Greet)]
    async fn greet(cx: &mut Cx, joined: Joined) -> Next<Welcome> {
        let by = joined
            .inviter
            .map(|u| format!(" (added by <@{u}>)"))
            .unwrap_or_default();
        let user = cx.user_id().to_owned();
        cx.say(format!(
            "Welcome to <#{}>, <@{user}>{by}! Which team are you on?",
            joined.channel
        ))
        .await?;
        goto(Welcome::AskTeam)
    }

    #[step(AskTeam)]
    async fn team(_cx: &mut Cx, team: Text) -> Next<Welcome> {
        complete(format!("Thanks! Say hi to the {team} team."))
    }
}

fn bot() -> TestBot {
    TestBot::new(Orchestrator::builder().flow::<intake::Intake>())
}

#[tokio::test]
async fn a_member_joining_a_channel_starts_a_welcome_with_them_at_the_top_of_it() {
    use slack_orchestrator::payloads::member_joined;
    use slack_orchestrator::testkit::BOT_USER;
    let bot = TestBot::new(Orchestrator::builder().flow::<welcome::Welcome>());
    let mut newcomer = bot.channel("U_NEW", "C_ENG");
    let mut other = bot.channel("U_OLD", "C_ENG");
    let joined = member_joined(TEAM, "U_NEW", "C_ENG", Some("U_LEAD"), "EvJoin1");
    assert_eq!(
        newcomer.deliver(&joined).await.state(),
        Some(FlowState::WaitingForResponse)
    );
    newcomer.expect_reply("Welcome to <#C_ENG>, <@U_NEW> (added by <@U_LEAD>)! Which team are you on?");
    assert_eq!(newcomer.deliver(&joined).await, Outcome::Duplicate, "Slack's retry");
    // Someone else talking in the channel is no answer, and starts nothing.
    assert_eq!(other.send("platform").await, Outcome::NoFlow);
    newcomer.send("platform").await;
    newcomer.expect_reply("Thanks! Say hi to the platform team.");
    // The bot joining a channel is no newcomer.
    let own = member_joined(TEAM, BOT_USER, "C_ENG", Some("U_LEAD"), "EvJoin2");
    assert!(matches!(bot.deliver(&own).await, Outcome::Ignored(_)));
    // A channel message starts no welcome: only a join does.
    assert_eq!(bot.channel("U_LATE", "C_ENG").send("hello").await, Outcome::NoFlow);
    let flows = bot.flows().await;
    assert_eq!(flows.len(), 1, "{flows:?}");
    let log: Vec<&str> = flows[0].messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(log[0], "[joined, added by U_LEAD]");
}

#[tokio::test]
async fn over_http_a_member_joining_a_channel_is_welcomed_there() {
    use slack_orchestrator::payloads::member_joined;
    use slack_orchestrator::testkit::{Delivered, LiveBot, Transport};
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<welcome::Welcome>()).await;
    let joined = member_joined(TEAM, "U_NEW", "C_ENG", None, "EvJoinHttp");
    assert!(matches!(bot.event(&joined).await, Delivered::Http(sent) if sent.status == 200));
    let posted = bot
        .slack()
        .wait_for("chat.postMessage", 1, std::time::Duration::from_secs(5))
        .await;
    assert_eq!(posted[0]["channel"], "C_ENG");
    assert_eq!(
        posted[0]["text"],
        "Welcome to <#C_ENG>, <@U_NEW>! Which team are you on?"
    );
    assert!(posted[0].get("thread_ts").is_none(), "at the top of the channel");
    bot.stop().await;
}

#[tokio::test]
async fn a_reaction_to_the_bots_message_is_an_input() {
    let bot = TestBot::new(Orchestrator::builder().flow::<deploy::Deploy>());
    let mut chat = bot.dm("U1");
    let early = slack_orchestrator::payloads::reaction(TEAM, "U1", "DU1", "1.1", "U2", "eyes", true, "EvEarly");
    assert_eq!(
        chat.deliver(&early).await,
        Outcome::NoFlow,
        "no flow starts from a reaction"
    );
    chat.send("deploy").await;
    chat.expect_reply("Deploy to production? React with :white_check_mark: or :x:.");
    chat.react("eyes", true).await;
    chat.expect_reply("You added :eyes:; I wait for :white_check_mark: or :x:.");
    chat.react("eyes", false).await;
    chat.expect_reply("You took back :eyes:; I wait for :white_check_mark: or :x:.");
    let outcome = chat.react("white_check_mark", true).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    chat.expect_reply("Deploying.");
    let log: Vec<String> = bot.flows().await[0].messages.iter().map(|m| m.text.clone()).collect();
    assert!(log.contains(&"[reacted :white_check_mark:]".to_owned()), "{log:?}");
}

#[tokio::test]
async fn a_reaction_to_the_bots_question_in_a_thread_goes_to_the_threads_flow() {
    let bot = TestBot::new(Orchestrator::builder().flow::<deploy::Deploy>());
    let mut thread = bot.mention("U1", "C1", "deploy").await;
    thread.expect_reply("Deploy to production? React with :white_check_mark: or :x:.");
    // Slack's reaction event names the message reacted to, not its thread: the user's
    // conversation at the top of C1 has no flow, the thread's has.
    let outcome = thread.react("white_check_mark", true).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    thread.expect_reply("Deploying.");
    // A reaction to a message the bot did not post is not looked up, and goes nowhere.
    let theirs = slack_orchestrator::payloads::reaction(TEAM, "U1", "C1", "1.1", "U2", "eyes", true, "EvTheirs");
    assert_eq!(thread.deliver(&theirs).await, Outcome::NoFlow);
}

#[tokio::test]
async fn an_approvers_reaction_in_their_dm_reaches_the_flow_that_asked_there() {
    let bot = TestBot::new(Orchestrator::builder().flow::<signoff::Signoff>());
    let (_requester, started) = bot.command("U1", "C1", "/signoff", "U_BOSS").await;
    assert_eq!(started.state(), Some(FlowState::WaitingForResponse));
    let asked = bot.slack().requests().into_iter().any(|r| {
        matches!(r, SlackRequest::PostMessage { channel, text, .. }
            if channel == "DU_BOSS" && text == "Sign off the release? React with :white_check_mark:.")
    });
    assert!(asked, "{:?}", bot.slack().requests());
    let mut boss = bot.dm("U_BOSS");
    // The flow lives in the requester's conversation; the message's tag says which flow.
    let outcome = boss.react("white_check_mark", true).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    let log: Vec<String> = bot.flows().await[0].messages.iter().map(|m| m.text.clone()).collect();
    assert!(log.contains(&"[reacted :white_check_mark:]".to_owned()), "{log:?}");
}

/// The bot's flow once it completed (its last reply goes out just before the save).
async fn completed(bot: &slack_orchestrator::testkit::LiveBot) -> slack_orchestrator::FlowRecord {
    for _ in 0..200 {
        let flows = bot.orchestrator().store().list(false, 10).await.unwrap();
        if let Some(done) = flows.into_iter().find(|r| r.state == FlowState::Completed) {
            return done;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no flow completed")
}

#[tokio::test]
async fn over_http_an_approvers_reaction_reaches_the_flow_named_by_the_messages_metadata() {
    use slack_orchestrator::payloads;
    use slack_orchestrator::testkit::{Delivered, LiveBot, Transport, BOT_USER};
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<signoff::Signoff>()).await;
    let form = payloads::slash_command(TEAM, "U_ALICE", "C_GENERAL", "/signoff", "U_BOSS", "1.t");
    assert!(matches!(bot.command(&form).await, Delivered::Http(sent) if sent.status == 200));
    bot.slack()
        .wait_for("chat.postMessage", 1, std::time::Duration::from_secs(5))
        .await;
    let calls = bot.slack().calls();
    let asked = calls.iter().find(|c| c.method == "chat.postMessage").unwrap();
    let (dm, ts) = (
        asked.reply["channel"].as_str().unwrap(),
        asked.reply["ts"].as_str().unwrap(),
    );
    let reaction = payloads::reaction(TEAM, "U_BOSS", dm, ts, BOT_USER, "white_check_mark", true, "EvS1");
    assert!(matches!(bot.event(&reaction).await, Delivered::Http(sent) if sent.status == 200));
    let done = completed(&bot).await;
    assert!(
        done.messages.iter().any(|m| m.text == "[reacted :white_check_mark:]"),
        "{:?}",
        done.messages
    );
    let looked = bot.slack().calls_to("conversations.replies");
    assert_eq!(
        looked[0]["include_all_metadata"], "true",
        "the tag is in the message's metadata"
    );
    bot.stop().await;
}

#[tokio::test]
async fn a_reaction_a_step_does_not_take_gets_no_notice() {
    let bot = bot();
    let mut chat = bot.dm("U1");
    chat.send("report bug").await;
    chat.expect_reply("Started by message. Attach the file, please.");
    let outcome = chat.react("thumbsup", true).await;
    assert!(matches!(outcome, Outcome::Unhandled { .. }), "{outcome:?}");
    chat.expect_no_reply();
    assert!(
        bot.slack()
            .requests()
            .iter()
            .all(|r| r.method() != "chat.postEphemeral"),
        "a reaction is no message to the bot: {:?}",
        bot.slack().requests()
    );
}

#[tokio::test]
async fn an_external_select_offers_what_the_options_handler_finds_for_what_was_typed() {
    let bot = TestBot::new(
        Orchestrator::builder()
            .flow::<triage::Triage>()
            .options("issue", triage::search),
    );
    let mut chat = bot.dm("U1");
    chat.send("triage").await;
    chat.expect_reply("Which issue?");
    let found: Vec<String> = chat
        .options("issue", "LOG")
        .await
        .into_iter()
        .map(|o| o.label)
        .collect();
    assert_eq!(
        found,
        [
            "PROJ-1 Login fails on Safari",
            "PROJ-2 Logo is blurry",
            "PROJ-4 Logout button hidden"
        ]
    );
    assert!(chat.options("issue", "nothing like it").await.is_empty());
    let outcome = chat.select("issue", "PROJ-2").await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    chat.expect_reply("Triaging PROJ-2.");
    assert!(bot.slack().requests().iter().all(|r| r.method() != "views.open"));
}

#[tokio::test]
async fn a_click_inside_a_modal_carries_the_view_and_what_its_inputs_hold() {
    let bot = TestBot::new(Orchestrator::builder().flow::<order::Order>());
    let (mut chat, _) = bot.command("U1", "C1", "/order", "").await;
    let opened = bot.slack().requests();
    let Some(SlackRequest::OpenView { .. }) = opened.last() else {
        panic!("a modal opens: {opened:?}");
    };
    let outcome = chat.click_in_modal("add", &[("item1", "item1", "Pens")]).await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    let Some(SlackRequest::UpdateView { view_id, view }) = bot.slack().requests().last().cloned() else {
        panic!("the modal is updated: {:?}", bot.slack().requests());
    };
    let calls = bot.slack().calls();
    let opened_as = calls.iter().find_map(|(request, reply)| match (request, reply) {
        (SlackRequest::OpenView { .. }, slack_orchestrator::SlackReply::View { id }) => Some(id.clone()),
        _ => None,
    });
    assert_eq!(Some(view_id), opened_as, "the modal the click came from");
    assert_eq!(
        view["blocks"][0]["element"]["initial_value"], "Pens",
        "what was typed is kept"
    );
    assert_eq!(view["blocks"][1]["element"]["action_id"], "item2");

    let outcome = chat
        .submit(&[("item1", "item1", "Pens"), ("item2", "item2", "Paper")])
        .await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    chat.expect_reply("Ordered: Pens, Paper");
}

#[tokio::test]
async fn checkboxes_and_multi_selects_in_a_message_send_every_choice() {
    let bot = TestBot::new(Orchestrator::builder().flow::<checklist::Checklist>());
    let mut chat = bot.dm("U1");
    chat.send("checklist").await;
    chat.expect_reply("Tick what you have");
    chat.select_many("done", &["badge", "laptop"]).await;
    chat.expect_reply("2/3 ticked: [badge, laptop]");
    chat.select_many("done", &[]).await;
    chat.expect_reply("0/3 ticked: []");
    chat.select_many("helpers", &["U2", "U3"]).await;
    chat.expect_reply("Helpers: <@U2> <@U3>");
    let outcome = chat.select_many("done", &["laptop", "badge", "desk"]).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    chat.expect_reply("All set!");
    let log: Vec<String> = bot.flows().await[0].messages.iter().map(|m| m.text.clone()).collect();
    assert!(
        log.contains(&"[chose [badge, laptop] in done]".to_owned()),
        "the conversation's log names the choices: {log:?}"
    );
}

#[tokio::test]
async fn a_button_outside_any_flow_starts_one_and_files_and_user_menus_are_inputs() {
    let bot = bot();
    // A message posted by other means (an announcement, App Home) with a start button.
    let start = serde_json::json!([blocks::actions(
        "entry",
        vec![blocks::button("start_survey", "Start", "go")]
    )]);
    let mut chat = bot.channel("U_ALICE", "C_TEAM");
    let posted = SlackRequest::PostMessage {
        channel: "C_TEAM".into(),
        thread_ts: None,
        text: "Survey".into(),
        blocks: Some(start),
        tag: None,
    };
    bot.slack().call(posted).await.unwrap();
    chat.expect_reply("Survey");

    let outcome = chat.click("start_survey").await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    chat.expect_reply("Started by button. Attach the file, please.");

    chat.send("here it is").await;
    chat.expect_reply("That was text; attach a file.");
    chat.upload(&[("F1", "crash.log"), ("F2", "screen.png")], "").await;
    chat.expect_reply("Got crash.log, screen.png. Who should review it?");
    chat.expect_reply("Pick a reviewer");

    // Anyone may advance this flow (`participants = anyone`).
    let mut bob = chat.as_user("U_BOB");
    let outcome = bob.select_user("reviewer", "U_CAROL").await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    bob.expect_reply("<@U_CAROL> will review crash.log, screen.png.");
}

#[tokio::test]
async fn a_regex_trigger_matches_whole_phrases_only() {
    let bot = bot();
    let mut chat = bot.channel("U_ALICE", "C_TEAM");
    assert_eq!(chat.send("please report bug").await, Outcome::NoFlow);
    assert!(matches!(chat.send("report bug").await, Outcome::Advanced { .. }));
    chat.expect_reply("Started by message. Attach the file, please.");
}

#[flow(trigger = command("/wizard"))]
#[allow(unreachable_pub)]
mod wizard {
    use slack_orchestrator::prelude::*;

    /// Answers through the response URL, then drives a modal.
    pub enum Wizard {
        #[start]
        Open,
        Page {
            page: u8,
        },
    }

    #[step(Open)]
    async fn open(cx: &mut Cx, _command: Command) -> Next<Wizard> {
        cx.respond("Opening the wizard…", false).await?;
        let view = blocks::modal(
            "wizard",
            "Wizard",
            "Next",
            vec![blocks::text_input("name", "name", "Name")],
        );
        cx.open_modal(view).await?;
        goto(Wizard::Page { page: 1 })
    }

    #[step(Page { page })]
    async fn page(cx: &mut Cx, page: u8, form: Submission) -> Next<Wizard> {
        let text = format!("Page {} for {}", page + 1, form.value("name").unwrap_or("?"));
        let next = blocks::modal("wizard", "Wizard", "Done", vec![blocks::section(&text)]);
        cx.update_modal(form.view_id.clone(), next).await?;
        complete_silently()
    }
}

#[tokio::test]
async fn a_command_answers_through_its_response_url_and_a_modal_is_updated_in_place() {
    let bot = TestBot::new(Orchestrator::builder().flow::<wizard::Wizard>());
    let (mut chat, _) = bot.command("U_ALICE", "C_TEAM", "/wizard", "").await;
    let flow_id = bot.flows().await[0].id;
    let requests = bot.slack().requests();
    let SlackRequest::Respond { response_url, text, .. } = &requests[0] else {
        panic!("{requests:?}")
    };
    assert!(response_url.starts_with("https://hooks.slack.invalid/commands/"));
    assert_eq!(text, "Opening the wizard…");
    let SlackRequest::OpenView { view, .. } = &requests[1] else {
        panic!("{requests:?}")
    };
    assert_eq!(view["private_metadata"], format!("so:{flow_id}:"));

    let outcome = chat.submit(&[("name", "name", "Ada")]).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    let SlackRequest::UpdateView { view_id, view } = bot.slack().requests().pop().unwrap() else {
        panic!()
    };
    assert!(view_id.starts_with('V'));
    assert_eq!(view["blocks"][0]["text"]["text"], "Page 2 for Ada");
}

#[flow(trigger = command("/poll"))]
#[allow(unreachable_pub)]
mod poll {
    use slack_orchestrator::prelude::*;

    /// Asks the channel through the command's response URL, and tells the user alone.
    pub enum Poll {
        #[start]
        Open,
    }

    #[step(Open)]
    async fn open(cx: &mut Cx, command: Command) -> Next<Poll> {
        cx.respond_in_channel(format!("Poll: {}", command.text)).await?;
        cx.respond("Your poll is up.", false).await?;
        complete_silently()
    }
}

#[tokio::test]
async fn a_response_for_the_channel_is_shown_to_everyone_and_one_for_the_user_to_them_alone() {
    let bot = TestBot::new(Orchestrator::builder().flow::<poll::Poll>());
    bot.command("U_ALICE", "C_TEAM", "/poll", "Lunch at noon?").await;
    let answers: Vec<(String, bool)> = bot
        .slack()
        .requests()
        .into_iter()
        .filter_map(|r| match r {
            SlackRequest::Respond { text, in_channel, .. } => Some((text, in_channel)),
            _ => None,
        })
        .collect();
    assert_eq!(
        answers,
        [
            ("Poll: Lunch at noon?".to_owned(), true),
            ("Your poll is up.".to_owned(), false)
        ]
    );
    let printed =
        slack_orchestrator::testkit::console_transcript(Orchestrator::builder().flow::<poll::Poll>(), "/poll Lunch?\n")
            .await;
    assert!(printed.contains("bot> Poll: Lunch?"), "{printed}");
    assert!(printed.contains("bot (only you)> Your poll is up."), "{printed}");
}

#[tokio::test]
async fn in_the_console_plus_emoji_reacts_to_the_bots_last_message() {
    let builder = Orchestrator::builder().flow::<deploy::Deploy>();
    let printed = slack_orchestrator::testkit::console_transcript(builder, "deploy\n+:eyes:\n-:eyes:\n+:x:\n").await;
    assert!(printed.contains("You added :eyes:"), "{printed}");
    assert!(printed.contains("You took back :eyes:"), "{printed}");
    assert!(printed.contains("bot> Not deploying."), "{printed}");
}
