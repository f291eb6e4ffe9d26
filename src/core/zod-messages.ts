/**
 * Schema issues in English, as zod's classic build words them. The mini build (`zod/mini`, what the
 * app ships for its size) registers no locale, so without this every issue would read "Invalid
 * input"; admins read these words (a provider definition's problem in `/oauth help`, a metadata or
 * token answer that is refused). Every module that defines a schema imports this one, so the words
 * do not depend on which module happened to load first.
 */
import { config } from 'zod/mini';
import { en } from 'zod/v4/locales';

config(en());
