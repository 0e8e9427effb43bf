-- Drives `obolint server` from Neovim's built-in LSP client (Neovim 0.7 APIs: start_client,
-- buf_attach_client, buf_request_sync), headless. Reads OBOLINT (the binary), FILE (the fixture
-- to open) and OUT (a folder for the results), writes:
--   diagnostics.json  what Neovim received (pushed) after opening FILE
--   actions.json      the titles of the code actions offered on the OBO201 line
--   buffer.txt        the buffer after applying the OBO201 quick fix through the client
--   after.json        the diagnostics Neovim received after that edit (incremental sync)
-- and exits 0, or writes error.txt and exits 1.
local obolint = os.getenv("OBOLINT")
local file = os.getenv("FILE")
local out = os.getenv("OUT")

local function write(name, text)
  local handle = assert(io.open(out .. "/" .. name, "w"))
  handle:write(text)
  handle:close()
end

local function diagnostics_json(bufnr)
  local items = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = (d.user_data or {}).lsp or {}
    table.insert(items, {
      code = lsp.code or d.code,
      href = (lsp.codeDescription or {}).href,
      line = d.lnum + 1,
      col = d.col + 1,
      severity = d.severity,
      message = d.message,
    })
  end
  table.sort(items, function(a, b) return a.line < b.line end)
  return vim.fn.json_encode(items)
end

local function run()
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({
    name = "obolint",
    cmd = { obolint, "server" },
    root_dir = vim.fn.fnamemodify(file, ":h"),
  })
  assert(client_id, "the client started")
  assert(vim.lsp.buf_attach_client(bufnr, client_id), "the buffer is attached")

  local got = vim.wait(30000, function() return #vim.diagnostic.get(bufnr) >= 2 end, 20)
  assert(got, "diagnostics arrived")
  write("diagnostics.json", diagnostics_json(bufnr))

  -- The quick fixes on line 20 (0-based 19), OBO201's line, as the client requests them.
  local client = vim.lsp.get_client_by_id(client_id)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 19, character = 0 }, ["end"] = { line = 19, character = 0 } },
    context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(bufnr, 19) },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 30000)
  assert(responses, "code actions answered")
  local titles, chosen = {}, nil
  for _, response in pairs(responses) do
    for _, action in ipairs(response.result or {}) do
      table.insert(titles, action.title)
      if action.title:find("client=user", 1, true) then
        chosen = action
      end
    end
  end
  write("actions.json", vim.fn.json_encode(titles))
  assert(chosen, "a quick fix for OBO201 is offered")
  vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding)
  write("buffer.txt", table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") .. "\n")

  -- The edit reaches the server as an incremental change; OBO201 goes away.
  local fixed = vim.wait(30000, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      local lsp = (d.user_data or {}).lsp or {}
      if (lsp.code or d.code) == "OBO201" then
        return false
      end
    end
    return true
  end, 20)
  assert(fixed, "OBO201 went away after the fix")
  write("after.json", diagnostics_json(bufnr))
  vim.lsp.stop_client(client_id)
end

local ok, error = pcall(run)
if ok then
  vim.cmd("qall!")
else
  write("error.txt", tostring(error))
  vim.cmd("cquit 1")
end
