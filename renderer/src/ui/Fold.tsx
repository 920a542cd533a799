import * as Collapsible from '@radix-ui/react-collapsible';
import { type ReactNode, useState } from 'react';

/** A collapsed-by-default section (Radix Collapsible): a one-line summary that opens to `children`. */
export function Fold({
  label,
  summary,
  children,
  className,
}: {
  label: string;
  summary?: string;
  children: ReactNode;
  className?: string;
}) {
  const [open, setOpen] = useState(false);
  return (
    <Collapsible.Root open={open} onOpenChange={setOpen} className={`fold ${className ?? ''}`}>
      <Collapsible.Trigger className="fold-trigger">
        <span className="fold-caret">{open ? '▾' : '▸'}</span>
        <span className="fold-label">{label}</span>
        {summary && !open ? <span className="fold-summary">{summary}</span> : null}
      </Collapsible.Trigger>
      <Collapsible.Content className="fold-content">{children}</Collapsible.Content>
    </Collapsible.Root>
  );
}
