// index.js — the front page only needs its texts.
import { startPage } from './page.js';

startPage();
