/**
 * The browser script that starts GraphiQL (served as `/graphql/assets/playground-<hash>.js`). It is
 * a file of its own rather than inline so that the page's Content-Security-Policy can refuse every
 * inline script; its settings come from the page's JSON block, the one place a dev token may be.
 */
export const PLAYGROUND_SCRIPT = `(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('playground-config').textContent);
  // The example is anonymous: GraphiQL keeps the name of the operation it last saw and can send it
  // with a query pasted in before it re-reads the editor, which the server refuses as unknown.
  var defaultQuery = [
    '# The Hubs gateway. Data needs a token: put {"Authorization": "Bearer <token>"} in Headers',
    '# below (npm run token makes one; npm start fills in its dev token). The schema loads without one.',
    '#',
    '# A cursor page of active hubs by name. For the next page, pass pageInfo.endCursor as',
    '# {"after": "..."} in Variables. The Docs pane lists every filter, order and limit.',
    '',
    'query ($after: String) {',
    '  hubConnection(first: 10, after: $after, filter: { status: ACTIVE }, orderBy: { field: NAME, direction: ASC }) {',
    '    totalCount',
    '    pageInfo { hasNextPage endCursor }',
    '    nodes { hubId name status version updatedAt }',
    '  }',
    '}',
    '',
  ].join('\\n');
  var props = {
    // Subscriptions over GraphQL over WebSocket at the same path; GraphiQL sends the headers of
    // its editor (the token) as the connection_init payload.
    fetcher: GraphiQL.createFetcher({
      url: config.endpoint,
      subscriptionUrl: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + config.endpoint,
    }),
    defaultQuery: defaultQuery,
    defaultEditorToolsVisibility: 'headers',
    // Tokens typed into the headers editor stay out of localStorage.
    shouldPersistHeaders: false,
  };
  if (config.headers) {
    props.headers = config.headers;
    props.defaultHeaders = config.headers;
  }
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, props));
})();
`;
