//! Files a step shares (a report, an export, a chart: [`Cx::upload`]) or reads (one a user
//! shared: [`Cx::download`]).

use super::Cx;
use crate::incoming::File;
use crate::slack::{SlackError, SlackReply, SlackRequest};

/// A file for [`Cx::upload`]: its name (Slack tells its type from it), its bytes, and
/// optionally a title and the message it is shared with.
///
/// ```
/// use orchestrator_core::FileUpload;
/// let report = FileUpload::new("hours.csv", "team,hours\nops,42\n")
///     .title("Hours this week")
///     .comment("Here are this week's hours.");
/// assert_eq!(report.filename(), "hours.csv");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUpload {
    filename: String,
    content: Vec<u8>,
    title: Option<String>,
    comment: Option<String>,
}

impl FileUpload {
    /// A file named `filename` (e.g. `report.csv`) holding `content`.
    ///
    /// ```
    /// let chart = orchestrator_core::FileUpload::new("chart.png", vec![0x89, b'P', b'N', b'G']);
    /// # drop(chart);
    /// ```
    pub fn new(filename: impl Into<String>, content: impl Into<Vec<u8>>) -> Self {
        FileUpload {
            filename: filename.into(),
            content: content.into(),
            title: None,
            comment: None,
        }
    }

    /// Its title (Slack shows the name when there is none).
    ///
    /// ```
    /// let file = orchestrator_core::FileUpload::new("q3.pdf", b"%PDF".to_vec()).title("Q3 results");
    /// # drop(file);
    /// ```
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The message it is shared with.
    ///
    /// ```
    /// let file = orchestrator_core::FileUpload::new("notes.txt", "…").comment("The meeting's notes.");
    /// # drop(file);
    /// ```
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// The file's name.
    ///
    /// ```
    /// assert_eq!(orchestrator_core::FileUpload::new("a.txt", "").filename(), "a.txt");
    /// ```
    pub fn filename(&self) -> &str {
        &self.filename
    }
}

impl Cx {
    /// Uploads `file` and shares it in the conversation (in its thread, if it lives in
    /// one); answers the file's id. A flow that talks to its user in their DM (a Home tab's,
    /// a global shortcut's) shares it there.
    ///
    /// Unlike a post, an upload carries no tag a replay could find it by: a step re-run
    /// after a crash between its upload and the save of its result uploads again. Upload
    /// last in a step, or in a step of its own.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::{FileUpload, SlackRequest};
    /// #[flow(trigger = direct_message)]
    /// mod export {
    ///     use slack_orchestrator::prelude::*;
    ///     use slack_orchestrator::FileUpload;
    ///     pub enum Export { #[start] Send }
    ///     #[step(Send)]
    ///     async fn send(cx: &mut Cx) -> Next<Export> {
    ///         let csv = "team,hours\nops,42\n";
    ///         cx.upload(FileUpload::new("hours.csv", csv).comment("Here are the hours.")).await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<export::Export>());
    /// bot.dm("U1").send("export").await;
    /// let uploads: Vec<SlackRequest> = bot.slack().requests().into_iter()
    ///     .filter(|r| matches!(r, SlackRequest::Upload { .. })).collect();
    /// assert!(matches!(&uploads[..], [SlackRequest::Upload { channel_id, filename, .. }]
    ///     if channel_id == "DU1" && filename == "hours.csv"));
    /// # }
    /// ```
    pub async fn upload(&mut self, file: FileUpload) -> Result<String, SlackError> {
        let channel = self
            .own_channel("files.completeUploadExternal", "upload with `upload_to`")?
            .to_owned();
        let thread_ts = self.record.context.thread_ts.clone();
        // A Home tab's or a global shortcut's flow talks to its user's id, which a post
        // takes and a share does not: the file goes to their DM with the app.
        let channel = match crate::is_user_id(&channel) {
            true => self.open_dm(&channel).await?,
            false => channel,
        };
        self.upload_to(&channel, thread_ts.as_deref(), file).await
    }

    /// Uploads `file` and shares it in `channel` (in the thread `thread_ts`, if given);
    /// answers the file's id. See [`Cx::upload`].
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// use orchestrator_core::FileUpload;
    /// let dm = cx.open_dm("U42").await?;
    /// cx.upload_to(&dm, None, FileUpload::new("summary.txt", "All done.")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_to(
        &mut self,
        channel: &str,
        thread_ts: Option<&str>,
        file: FileUpload,
    ) -> Result<String, SlackError> {
        let FileUpload {
            filename,
            content,
            title,
            comment,
        } = file;
        let logged = format!(
            "{}[file: {}]",
            comment.as_ref().map(|c| format!("{c} ")).unwrap_or_default(),
            title.as_deref().unwrap_or(&filename)
        );
        let request = SlackRequest::Upload {
            channel_id: channel.to_owned(),
            thread_ts: thread_ts.map(str::to_owned),
            filename,
            title,
            initial_comment: comment,
            content,
        };
        let method = request.method().to_owned();
        let answer = self.send(request).await?;
        let id = match &answer {
            SlackReply::Json(answer) => answer["files"][0]["id"].as_str().map(str::to_owned),
            _ => None,
        };
        let id = id.ok_or_else(|| SlackError::Api {
            method,
            code: "no_file_in_answer".into(),
        })?;
        self.said(None, logged, false);
        Ok(id)
    }

    /// Downloads a file a user shared (a message's [`Files`](crate::Files), a file input's
    /// [`Field::files`](crate::Field::files)) with the bot's token: its bytes. The app
    /// needs the `files:read` scope; without it Slack answers its sign-in page, which is
    /// an error here, not the file.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// # use slack_orchestrator::RecordingSlack;
    /// #[flow(trigger = direct_message)]
    /// mod import {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Import { #[start] Ask, Read }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx) -> Next<Import> {
    ///         cx.say("Send me the CSV.").await?;
    ///         goto(Import::Read)
    ///     }
    ///     #[step(Read)]
    ///     async fn read(cx: &mut Cx, files: Files) -> Next<Import> {
    ///         let bytes = cx.download(&files[0]).await?;
    ///         let rows = String::from_utf8_lossy(&bytes).lines().count() - 1;
    ///         complete(format!("Imported {rows} rows."))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<import::Import>());
    /// // The test kit links the files of its file events here (`payloads::file_share`).
    /// let url = "https://files.slack.invalid/F1/team.csv";
    /// bot.slack().serve_file(url, "name\nAda\nGrace\n");
    /// let mut chat = bot.dm("U1");
    /// chat.send("import").await;
    /// chat.expect_reply("Send me the CSV.");
    /// chat.upload(&[("F1", "team.csv")], "").await;
    /// chat.expect_reply("Imported 2 rows.");
    /// # }
    /// ```
    pub async fn download(&mut self, file: &File) -> Result<Vec<u8>, SlackError> {
        let method = "url_private";
        let Some(url) = file.url_private.clone() else {
            return Err(SlackError::InvalidRequest {
                method: method.into(),
                detail: format!("file {} has no url_private to download it from", file.id),
            });
        };
        match self.send(SlackRequest::Download { url }).await? {
            SlackReply::Bytes(bytes) => Ok(bytes),
            _ => Err(SlackError::Api {
                method: method.into(),
                code: "no_file_in_answer".into(),
            }),
        }
    }
}
