import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { takeToken } from './api/token';
import './styles.css';

const token = takeToken(window.location, window.sessionStorage, window.history);
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App token={token} />
    </StrictMode>,
  );
}
