// The local chat page: pick a user and a room, type slash commands, read what the app answers.
// Messages are polled from /api/chat/messages; UI Kit blocks are rendered as the chat would.
'use strict';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let state = { users: [], rooms: [], demoAccounts: [] };
let seen = -1;
let shown = [];
let polling;

async function init() {
  state = await (await fetch('/api/chat/state')).json();
  fill(
    $('user'),
    state.users.map((u) => [u.id, `${u.name} (@${u.username})${u.admin ? ' · admin' : ''}`]),
    params.get('user'),
  );
  fillRooms(params.get('room'));
  if (state.demoAccounts.length) {
    $('hint').textContent = `Demo provider accounts: ${state.demoAccounts.map((a) => a.id).join(', ')} (password: demo).`;
  }
  $('user').addEventListener('change', () => {
    fillRooms();
    restart();
  });
  $('room').addEventListener('change', render);
  $('composer').addEventListener('submit', send);
  restart();
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
  seen = -1;
  shown = [];
  render();
  clearTimeout(polling);
  poll();
}

async function poll() {
  try {
    const user = $('user').value;
    const answer = await (await fetch(`/api/chat/messages?userId=${encodeURIComponent(user)}&after=${seen}`)).json();
    if (user === $('user').value && answer.messages.length) {
      seen = answer.messages[answer.messages.length - 1].seq;
      shown.push(...answer.messages);
      render();
    }
  } catch {
    // The server restarting: the next poll tries again.
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
  const answer = await fetch('/api/chat/command', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: $('user').value, roomId, text }),
  });
  if (!answer.ok) {
    const { error } = await answer.json().catch(() => ({ error: 'The server did not answer.' }));
    shown.push({ seq: -1, kind: 'system', roomId, text: error });
    render();
  }
}

function render() {
  const room = $('room').value;
  const items = shown.filter((m) => m.roomId === room).map(renderMessage);
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
  return item;
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
