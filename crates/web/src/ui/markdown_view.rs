//! Draws a lesson's prose ([`crate::learn::markdown`]) as elements with
//! text in them: Yew escapes every text node, so nothing in a lesson file
//! becomes markup.

use yew::prelude::*;

use crate::learn::markdown::{self, Block, Inline};

/// The prose `text` as headings, paragraphs, lists and quotes. Lesson
/// headings start one level below the page's title.
pub fn view_prose(text: &str) -> Html {
    markdown::blocks(text).iter().map(view_block).collect()
}

fn view_block(block: &Block) -> Html {
    match block {
        Block::Heading(level, inlines) => {
            let body = view_inlines(inlines);
            match level {
                1 | 2 => html! { <h2 class="md-h2">{ body }</h2> },
                3 => html! { <h3>{ body }</h3> },
                _ => html! { <h4>{ body }</h4> },
            }
        }
        Block::Paragraph(inlines) => html! { <p>{ view_inlines(inlines) }</p> },
        Block::Quote(inlines) => html! { <blockquote>{ view_inlines(inlines) }</blockquote> },
        Block::List { ordered, items } => {
            let items = items
                .iter()
                .map(|item| html! { <li>{ view_inlines(item) }</li> })
                .collect::<Html>();
            if *ordered {
                html! { <ol>{ items }</ol> }
            } else {
                html! { <ul>{ items }</ul> }
            }
        }
    }
}

pub fn view_inlines(inlines: &[Inline]) -> Html {
    inlines
        .iter()
        .map(|inline| match inline {
            Inline::Text(text) => html! { { text.clone() } },
            Inline::Code(code) => html! { <code>{ code.clone() }</code> },
            Inline::Emphasis(text) => html! { <em>{ text.clone() }</em> },
            Inline::Strong(text) => html! { <strong>{ text.clone() }</strong> },
            Inline::Link { text, href } => match href {
                Some(href) if href.starts_with('#') => {
                    html! { <a href={href.clone()}>{ text.clone() }</a> }
                }
                Some(href) => html! {
                    <a href={href.clone()} rel="noopener noreferrer" target="_blank">{ text.clone() }</a>
                },
                None => html! { { text.clone() } },
            },
        })
        .collect()
}
