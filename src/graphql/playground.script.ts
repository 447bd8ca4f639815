/**
 * The browser script that starts GraphiQL (served as `/graphql/assets/playground-<hash>.js`). It is
 * a file of its own rather than inline so that the page's Content-Security-Policy can refuse every
 * inline script; its settings come from the page's JSON block, the one place a dev token may be.
 */
export const PLAYGROUND_SCRIPT = `(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('playground-config').textContent);
  var defaultQuery = [
    '# The Hubs gateway. Data needs a token: put {"Authorization": "Bearer <token>"} in Headers',
    '# below (npm run token makes one). The schema itself loads without one.',
    '',
    '{',
    '  hubs(pageNumber: 0, pageSize: 10) {',
    '    total',
    '    results { hubId name status createdAt }',
    '  }',
    '}',
    '',
  ].join('\\n');
  var props = {
    fetcher: GraphiQL.createFetcher({ url: config.endpoint }),
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
