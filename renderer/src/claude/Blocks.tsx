import type { ContentBlock } from '../../../proxy/api/types';
import { prettyJson } from '../format';
import { Fold } from '../ui/Fold';
import { Markdown } from '../ui/Markdown';
import { asRecord } from './conversation';

/** One line of a longer text, for a collapsed summary. */
function firstLine(text: string, max = 120): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** Text of a tool_result's content: a string, or text blocks joined. */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((b) => {
        const block = asRecord(b);
        return block?.type === 'text' ? String(block.text ?? '') : `[${String(block?.type ?? 'block')}]`;
      })
      .join('\n');
  }
  return prettyJson(content);
}

/**
 * A content block as a person reads it: Markdown text (assistant) or plain text (user), thinking collapsed,
 * tool calls with their input pretty-printed, tool results (errors in red), anything else as JSON.
 */
export function Block({ block, speaker }: { block: ContentBlock; speaker: 'user' | 'assistant' }) {
  switch (block.type) {
    case 'text':
      return speaker === 'assistant' ? (
        <Markdown text={block.text ?? ''} />
      ) : (
        <div className="plain">{block.text}</div>
      );
    case 'thinking':
      return (
        <Fold label="Thinking" summary={firstLine(block.thinking ?? '')} className="thinking">
          <div className="plain muted">{block.thinking}</div>
        </Fold>
      );
    case 'redacted_thinking':
      return <div className="note">Thinking (redacted by the API)</div>;
    case 'tool_use':
    case 'server_tool_use':
      return (
        <div className="tool-call" data-testid="tool-call">
          <div className="tool-head">
            <span className="tool-badge">tool call</span>
            <span className="tool-name">{block.name}</span>
            <span className="faint mono">{block.id}</span>
          </div>
          <pre className="code">{prettyJson(block.input)}</pre>
        </div>
      );
    case 'tool_result': {
      const isError = block.is_error === true;
      return (
        <div className={`tool-result${isError ? ' is-error' : ''}`} data-testid="tool-result">
          <div className="tool-head">
            <span className="tool-badge">{isError ? 'tool error' : 'tool result'}</span>
            <span className="faint mono">{String(block.tool_use_id ?? '')}</span>
          </div>
          <pre className="code">{resultText(block.content)}</pre>
        </div>
      );
    }
    case 'image':
    case 'document':
      return <div className="note">[{block.type}]</div>;
    default:
      return (
        <Fold label={block.type} className="other-block">
          <pre className="code">{prettyJson(block)}</pre>
        </Fold>
      );
  }
}

/** A message's content: a plain string or a list of blocks. */
export function MessageContent({ content, speaker }: { content: unknown; speaker: 'user' | 'assistant' }) {
  if (typeof content === 'string') {
    return speaker === 'assistant' ? <Markdown text={content} /> : <div className="plain">{content}</div>;
  }
  const blocks = Array.isArray(content) ? (content as ContentBlock[]) : [];
  return (
    <>
      {blocks.map((block, i) => (
        <Block key={i} block={block} speaker={speaker} />
      ))}
    </>
  );
}
