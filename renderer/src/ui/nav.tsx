import { createContext, type MouseEvent, type ReactNode, useContext } from 'react';

/** Shows a dashboard route (`/s/ID`, `/approvals/ap_…`) without reloading the page; provided at the root. */
export const NavigateContext = createContext<(path: string) => void>(() => undefined);

/** The root's navigate function. */
export function useNavigate(): (path: string) => void {
  return useContext(NavigateContext);
}

/**
 * A link to a dashboard route: a plain click navigates in place, a modified click (new tab, new window) is
 * left to the browser, which opens the same route there.
 */
export function RouteLink({
  to,
  children,
  className,
  testId,
  current,
}: {
  to: string;
  children: ReactNode;
  className?: string;
  testId?: string;
  /** Marks the link as the page shown (`aria-current="page"`). */
  current?: boolean;
}) {
  const navigate = useNavigate();
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a
      href={to}
      onClick={onClick}
      className={className}
      data-testid={testId}
      aria-current={current ? 'page' : undefined}
    >
      {children}
    </a>
  );
}
