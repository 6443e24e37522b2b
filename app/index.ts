import { app } from '@azure/functions';
import { loadSettings } from '../shared/config/loadSettings';
import { createApp } from './createApp';

/*
 * The composition root: package.json `main` points here, and the Functions v4 model registers functions when this
 * module loads. Settings are read and validated once, here only; a bad setting or routes file stops the app with
 * every problem named.
 */
const dispatcher = createApp(loadSettings());
app.hook.appTerminate(() => dispatcher.close());
