import { render } from 'preact';
import { App } from './App';
import { resume } from './api/session';
import './styles.css';

void resume();
render(<App />, document.getElementById('app')!);
