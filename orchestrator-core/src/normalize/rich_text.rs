//! A `rich_text_input`'s value (a `rich_text` block) as the mrkdwn text Slack itself puts in
//! a message's `text`: `*bold*`, `_italic_`, `~strike~`, `` `code` ``, `<@U…>` mentions,
//! `<url|text>` links, `:emoji:`, lists, quotes and code blocks on lines of their own. A
//! step reads it as it reads a typed message, and can post it back as it was written.
//!
//! Written here rather than taken from slack-morphism: its rich text models keep the
//! elements as JSON values, and render nothing.

use serde::Deserialize;

/// A node of a `rich_text` tree: the block, a section, list, quote or preformatted part
/// (which hold `elements`), or a leaf (text, link, mention, emoji…). One struct for every
/// kind, as Slack adds kinds over time: an unknown one is rendered by its text or its
/// elements. Owned: a submitted rich text is rare and small.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RichText {
    #[serde(rename = "type")]
    kind: String,
    elements: Vec<RichText>,
    text: Option<String>,
    style: Option<Style>,
    url: Option<String>,
    user_id: Option<String>,
    usergroup_id: Option<String>,
    channel_id: Option<String>,
    name: Option<String>,
    range: Option<String>,
    fallback: Option<String>,
    value: Option<String>,
    indent: usize,
    offset: usize,
}

/// A text's style, or a list's (`bullet`, `ordered`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Style {
    Text(TextStyle),
    List(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TextStyle {
    bold: bool,
    italic: bool,
    strike: bool,
    code: bool,
}

impl RichText {
    /// The whole tree as mrkdwn.
    pub(super) fn to_mrkdwn(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self.kind.as_str() {
            "rich_text" => self.write_lines(out, "\n"),
            "rich_text_list" => self.write_list(out),
            "rich_text_quote" => {
                let mut inner = String::new();
                self.write_children(&mut inner);
                let quoted: Vec<String> = inner.lines().map(|line| format!("> {line}")).collect();
                out.push_str(&quoted.join("\n"));
            }
            "rich_text_preformatted" => {
                out.push_str("```");
                self.write_children(out);
                out.push_str("```");
            }
            "text" => write_styled(out, self.text.as_deref().unwrap_or_default(), self.text_style()),
            "link" => match (&self.url, &self.text) {
                (Some(url), Some(text)) if !text.is_empty() && text != url => out.push_str(&format!("<{url}|{text}>")),
                (Some(url), _) => out.push_str(&format!("<{url}>")),
                (None, text) => out.push_str(text.as_deref().unwrap_or_default()),
            },
            "user" => push_wrapped(out, "<@", self.user_id.as_deref(), ">"),
            "usergroup" => push_wrapped(out, "<!subteam^", self.usergroup_id.as_deref(), ">"),
            "channel" => push_wrapped(out, "<#", self.channel_id.as_deref(), ">"),
            "broadcast" => push_wrapped(out, "<!", self.range.as_deref(), ">"),
            "emoji" => push_wrapped(out, ":", self.name.as_deref(), ":"),
            "date" => out.push_str(self.fallback.as_deref().or(self.text.as_deref()).unwrap_or_default()),
            "color" => out.push_str(self.value.as_deref().unwrap_or_default()),
            // A section, or a kind this version does not know: its text, else its parts.
            _ => match &self.text {
                Some(text) => out.push_str(text),
                None => self.write_children(out),
            },
        }
    }

    fn write_children(&self, out: &mut String) {
        for element in &self.elements {
            element.write(out);
        }
    }

    /// Each part on a line of its own: the block's sections, lists and quotes.
    fn write_lines(&self, out: &mut String, separator: &str) {
        for (i, element) in self.elements.iter().enumerate() {
            if i > 0 && !out.ends_with('\n') {
                out.push_str(separator);
            }
            element.write(out);
        }
    }

    /// `• item` or `1. item` per line, indented four spaces per level.
    fn write_list(&self, out: &mut String) {
        let ordered = matches!(&self.style, Some(Style::List(style)) if style == "ordered");
        for (i, item) in self.elements.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&"    ".repeat(self.indent));
            match ordered {
                true => out.push_str(&format!("{}. ", self.offset + i + 1)),
                false => out.push_str("• "),
            }
            item.write(out);
        }
    }

    fn text_style(&self) -> Option<&TextStyle> {
        match &self.style {
            Some(Style::Text(style)) => Some(style),
            _ => None,
        }
    }
}

fn push_wrapped(out: &mut String, open: &str, inner: Option<&str>, close: &str) {
    if let Some(inner) = inner {
        out.push_str(open);
        out.push_str(inner);
        out.push_str(close);
    }
}

/// `text` with its style's marks, the spaces around it left outside them (Slack shows
/// `*bold *` as it is, not in bold).
fn write_styled(out: &mut String, text: &str, style: Option<&TextStyle>) {
    let Some(style) = style else {
        out.push_str(text);
        return;
    };
    let core = text.trim();
    if core.is_empty() {
        out.push_str(text);
        return;
    }
    let start = text.len() - text.trim_start().len();
    let marks: String = [
        (style.code, '`'),
        (style.bold, '*'),
        (style.italic, '_'),
        (style.strike, '~'),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, mark)| *mark)
    .collect();
    out.push_str(&text[..start]);
    out.push_str(&marks);
    out.push_str(core);
    out.extend(marks.chars().rev());
    out.push_str(&text[start + core.len()..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mrkdwn(json: &str) -> String {
        serde_json::from_str::<RichText>(json).unwrap().to_mrkdwn()
    }

    #[test]
    fn styles_mentions_links_and_emoji_read_as_slack_writes_them_in_a_message() {
        let value = r#"{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "text", "text": "Ship "},
            {"type": "text", "text": "today ", "style": {"bold": true}},
            {"type": "text", "text": "with", "style": {"italic": true, "strike": true}},
            {"type": "text", "text": " "},
            {"type": "user", "user_id": "U1"},
            {"type": "text", "text": " in "},
            {"type": "channel", "channel_id": "C1"},
            {"type": "text", "text": ", see "},
            {"type": "link", "url": "https://example.com/a", "text": "the plan"},
            {"type": "text", "text": " and "},
            {"type": "link", "url": "https://example.com/b"},
            {"type": "text", "text": " "},
            {"type": "emoji", "name": "rocket", "unicode": "1f680"},
            {"type": "text", "text": " ping ", "style": {"code": true}},
            {"type": "broadcast", "range": "here"},
            {"type": "usergroup", "usergroup_id": "S1"}
        ]}]}"#;
        assert_eq!(
            mrkdwn(value),
            "Ship *today* _~with~_ <@U1> in <#C1>, see <https://example.com/a|the plan> and \
             <https://example.com/b> :rocket: `ping` <!here><!subteam^S1>"
        );
    }

    #[test]
    fn lists_quotes_and_code_blocks_go_on_lines_of_their_own() {
        let value = r#"{"type": "rich_text", "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": "Steps:\n"}]},
            {"type": "rich_text_list", "style": "ordered", "indent": 0, "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "build"}]},
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "test"}]}
            ]},
            {"type": "rich_text_list", "style": "bullet", "indent": 1, "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "on CI"}]}
            ]},
            {"type": "rich_text_quote", "elements": [{"type": "text", "text": "said once\nsaid twice"}]},
            {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "cargo test"}]}
        ]}"#;
        assert_eq!(
            mrkdwn(value),
            "Steps:\n1. build\n2. test\n    • on CI\n> said once\n> said twice\n```cargo test```"
        );
    }

    #[test]
    fn an_empty_input_and_an_unknown_kind_give_what_text_there_is() {
        assert_eq!(mrkdwn(r#"{"type": "rich_text", "elements": []}"#), "");
        let unknown = r#"{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "sparkle", "text": "new"}, {"type": "hologram", "elements": [{"type": "text", "text": "!"}]},
            {"type": "date", "timestamp": 1700000000, "format": "{date}", "fallback": "Nov 14"}
        ]}]}"#;
        assert_eq!(mrkdwn(unknown), "new!Nov 14");
    }
}
