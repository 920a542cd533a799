import ReactMarkdown, { type Components } from 'react-markdown';

const components: Components = {
  // Links open outside the dashboard and never pass on who linked them.
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  ),
  img: ({ alt }) => <span className="md-img">[image: {alt ?? 'no description'}]</span>,
};

/**
 * Assistant text rendered as Markdown, safely: raw HTML in the text is dropped (no rehype-raw), URLs pass
 * react-markdown's default sanitiser (no `javascript:`), images are not fetched.
 */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="md">
      <ReactMarkdown skipHtml components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
