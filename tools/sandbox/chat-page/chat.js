// The local chat page: pick a platform, a user and a room, type slash commands, read what the app
// answers. Messages are polled from /api/chat/messages; Rocket.Chat's UI Kit blocks and Mattermost's
// attachments are rendered as each chat would (a Mattermost button is clicked through the stand-in).
'use strict';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let state = { users: [], rooms: [], demoAccounts: [] };
let platforms = ['rocketchat'];
let platform = params.get('platform') === 'mattermost' ? 'mattermost' : 'rocketchat';
const PLATFORM_NAMES = { rocketchat: 'Rocket.Chat', mattermost: 'Mattermost (stand-in)' };
// The server's run (a new one each time npm start starts) and the last message number seen in it:
// a number from another run means nothing, so the server sends everything when the run changed.
let run = null;
let seen = -1;
let shown = [];
let polling;
// Bumped by each restart(): a poll of an earlier generation neither shows its answer nor polls again.
let generation = 0;

async function init() {
  try {
    platforms = (await getJson('/api/chat/state')).platforms || ['rocketchat'];
    if (!platforms.includes(platform)) platform = 'rocketchat';
    state = await getJson(`/api/chat/state?platform=${platform}`);
    offline(null);
  } catch (error) {
    offline(error);
    setTimeout(init, 1000);
    return;
  }
  fill(
    $('platform'),
    platforms.map((p) => [p, PLATFORM_NAMES[p] || p]),
    platform,
  );
  fillUsers();
  if (state.demoAccounts.length) {
    $('hint').textContent = `Demo provider accounts: ${state.demoAccounts.map((a) => a.id).join(', ')} (password: demo).`;
  }
  $('platform').addEventListener('change', switchPlatform);
  $('user').addEventListener('change', () => {
    fillRooms();
    restart();
  });
  $('room').addEventListener('change', render);
  $('composer').addEventListener('submit', send);
  restart();
}

/** Another platform: its own people and rooms, and what they were told there. */
async function switchPlatform() {
  platform = $('platform').value;
  try {
    state = await getJson(`/api/chat/state?platform=${platform}`);
    offline(null);
  } catch (error) {
    offline(error);
    return;
  }
  run = null;
  fillUsers();
  restart();
}

function fillUsers() {
  fill(
    $('user'),
    state.users.map((u) => [u.id, `${u.name} (@${u.username})${u.admin ? ' · admin' : ''}`]),
    params.get('user'),
  );
  fillRooms(params.get('room'));
}

/** A JSON answer, or an error saying what went wrong: the server's own words, or that it is not answering. */
async function getJson(url, init) {
  let answer;
  try {
    answer = await fetch(url, init);
  } catch {
    throw new Error('The local chat server is not answering: is npm start still running?');
  }
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(body.error || `The local chat server answered ${answer.status}.`);
  return body;
}

/** Shows what keeps the page from the server, or hides it (error null) once the server answers. */
function offline(error) {
  $('status').textContent = error ? `${error.message} The page keeps trying.` : '';
  $('status').hidden = !error;
}

function fill(select, options, wanted) {
  select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
  if (wanted && options.some(([value]) => value === wanted)) select.value = wanted;
}

function fillRooms(wanted) {
  const user = $('user').value;
  fill(
    $('room'),
    state.rooms.filter((r) => r.members.includes(user)).map((r) => [r.id, `#${r.name}`]),
    wanted,
  );
}

function restart() {
  generation += 1;
  seen = -1;
  shown = [];
  render();
  clearTimeout(polling);
  poll();
}

async function poll() {
  const current = generation;
  const user = $('user').value;
  try {
    const query = new URLSearchParams({ platform, userId: user, after: String(seen), run: run ?? '' });
    const answer = await getJson(`/api/chat/messages?${query}`);
    if (current !== generation) return;
    offline(null);
    if (run !== null && answer.run !== run) {
      // npm start restarted: what the page shows stays, the server's numbering starts again.
      shown.push({ seq: -1, kind: 'system', roomId: '*', text: 'npm start restarted: the messages below come from the new run.' });
      seen = -1;
      render();
    } else if (answer.last < seen) {
      // The server numbers from lower than the page has seen: start over from its first message.
      seen = -1;
      polling = setTimeout(poll, 0);
      return;
    }
    run = answer.run;
    if (answer.messages.length) {
      seen = answer.messages[answer.messages.length - 1].seq;
      shown.push(...answer.messages);
      render();
    }
  } catch (error) {
    if (current !== generation) return;
    offline(error);
  }
  polling = setTimeout(poll, 700);
}

async function send(event) {
  event.preventDefault();
  const text = $('command').value.trim();
  if (!text) return;
  const roomId = $('room').value;
  shown.push({ seq: -1, kind: 'typed', roomId, text });
  $('command').value = '';
  render();
  try {
    await getJson('/api/chat/command', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ platform, userId: $('user').value, roomId, text }),
    });
  } catch (error) {
    shown.push({ seq: -1, kind: 'system', roomId, text: error.message });
    render();
  }
}

function render() {
  const room = $('room').value;
  const items = shown.filter((m) => m.roomId === room || m.roomId === '*').map(renderMessage);
  $('messages').replaceChildren(...items);
  $('empty').hidden = items.length > 0;
  const main = document.querySelector('main');
  main.scrollTop = main.scrollHeight;
}

function renderMessage(message) {
  const item = element('li', `message ${message.kind}`);
  const meta = element('div', 'meta');
  meta.textContent =
    message.kind === 'ephemeral'
      ? 'OAuth Connector · only you can see this'
      : message.kind === 'typed'
        ? 'you'
        : message.kind === 'system'
          ? 'local chat'
          : 'OAuth Connector';
  item.append(meta);
  if (Array.isArray(message.blocks) && message.blocks.length) item.append(...message.blocks.map(renderBlock).filter(Boolean));
  else item.append(markdown(message.text || '', 'section'));
  for (const attachment of message.attachments || []) item.append(...renderAttachment(attachment, message));
  return item;
}

/** A Mattermost attachment: its text, its footer, and buttons that are clicked through the stand-in. */
function renderAttachment(attachment, message) {
  const parts = [];
  if (attachment.text) parts.push(markdown(attachment.text, 'section'));
  if (attachment.footer) {
    const context = element('div', 'context');
    context.append(markdown(attachment.footer, 'span'));
    parts.push(context);
  }
  if (attachment.actions && attachment.actions.length) {
    const actions = element('div', 'actions');
    for (const action of attachment.actions) {
      const button = element('button', `button ${action.style || ''}`);
      button.type = 'button';
      button.textContent = action.name;
      button.dataset.actionId = action.id;
      button.addEventListener('click', () => click(message, action));
      actions.append(button);
    }
    parts.push(actions);
  }
  return parts;
}

async function click(message, action) {
  try {
    await getJson('/api/chat/action', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: $('user').value, postId: message.postId, actionId: action.id }),
    });
  } catch (error) {
    shown.push({ seq: -1, kind: 'system', roomId: message.roomId, text: error.message });
    render();
  }
}

function renderBlock(block) {
  if (block.type === 'section' && block.text) return markdown(block.text.text, 'section');
  if (block.type === 'context') {
    const context = element('div', 'context');
    for (const part of block.elements || []) if (part.text) context.append(markdown(part.text, 'span'));
    return context;
  }
  if (block.type === 'actions') {
    const actions = element('div', 'actions');
    for (const button of (block.elements || []).filter((e) => e.type === 'button')) {
      const link = element('a', `button ${button.style || ''}`);
      link.textContent = button.text?.text || '';
      link.dataset.actionId = button.actionId;
      if (/^https?:\/\//.test(button.url || '')) link.href = button.url;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      actions.append(link);
    }
    return actions;
  }
  return null;
}

// Rocket.Chat-style mrkdwn: *bold*, _italic_, `code`, line breaks. Text is escaped before any markup is added.
function markdown(text, className) {
  const node = element(className === 'span' ? 'span' : 'div', className === 'span' ? '' : className);
  const escaped = text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  node.innerHTML = escaped
    // Mattermost's links, [label](https://…): only http(s), opened in a new tab without a referrer.
    .replace(/\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>')
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*([^*\n]+)\*/g, '<strong>$1</strong>')
    .replace(/(^|\s)_([^_\n]+)_/g, '$1<em>$2</em>')
    .replace(/\n/g, '<br>');
  return node;
}

function element(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

init();
