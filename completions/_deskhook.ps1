
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'deskhook' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'deskhook'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'deskhook' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send realistic, signed callbacks and validate the answers')
            [CompletionResult]::new('listen', 'listen', [CompletionResultType]::ParameterValue, 'Run the built-in receiver: inspect, verify, answer and capture incoming callbacks')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Send captured callbacks again, bodies byte-for-byte as captured')
            [CompletionResult]::new('flow', 'flow', [CompletionResultType]::ParameterValue, 'Play a whole conversation, each step driven by the backend''s answers')
            [CompletionResult]::new('flows', 'flows', [CompletionResultType]::ParameterValue, 'List the built-in conversation scenarios')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'List every event deskhook can send')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check one JSON document against an event''s request or response envelope, offline')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema deskhook validates an event''s request or response against')
            [CompletionResult]::new('sign', 'sign', [CompletionResultType]::ParameterValue, 'Print RequestTime and Sign for a token, as the platform computes them')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check the signature of a full callback URL and say exactly what is wrong')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Probe one backend: does it refuse forged, stale and foreign callbacks, and take odd valid ones?')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'deskhook;send' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The callback URL (optional: without it, an in-process receiver on a loopback port answers)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Send every event of one provider')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Override a body field: dotted PATH (`MsgBody.0.MsgContent.Text`), VALUE parsed as JSON when it parses, else a string. Repeatable')
            [CompletionResult]::new('--unset', '--unset', [CompletionResultType]::ParameterName, 'Remove a body field (dotted PATH). Repeatable')
            [CompletionResult]::new('--body', '--body', [CompletionResultType]::ParameterName, 'Send this JSON body instead of the built-in one (still signed, still validated); `-` reads stdin')
            [CompletionResult]::new('--sdkappid', '--sdkappid', [CompletionResultType]::ParameterName, 'SDKAppID sent as the `SdkAppid` URL parameter')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Callback token: Tencent `Sign`/`RequestTime` parameters, CEC `Authorization: Bearer`')
            [CompletionResult]::new('--client-ip', '--client-ip', [CompletionResultType]::ParameterName, 'The `ClientIP` URL parameter')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'The `OptPlatform` URL parameter (Desk''s value is undocumented: RESTAPI by default)')
            [CompletionResult]::new('--query', '--query', [CompletionResultType]::ParameterName, 'Add or replace a URL parameter (for example RequestID=fixed-1). Repeatable')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on an answer after DUR (the platform''s limit is 2s); a slower answer is a transport failure')
            [CompletionResult]::new('--max-latency', '--max-latency', [CompletionResultType]::ParameterName, 'An answer slower than DUR counts as a failed check (default: the timeout)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Re-deliver a failed callback up to N times (at most 100), with the same RequestID, as the platform does')
            [CompletionResult]::new('--backoff', '--backoff', [CompletionResultType]::ParameterName, 'Wait DUR before the first retry, doubling before each further one')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'What the answers must say: ok (a success envelope), fail (a failure envelope), refused (a 4xx or a failure envelope), or any well-formed envelope')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request (''Name: value''), for an API gateway. Repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request (''Name: value''), for an API gateway. Repeatable')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Send each event (or run the scenario) N times, each with fresh ids')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Send each event (or run the scenario) N times, each with fresh ids')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'At most C requests (or scenario runs) in flight at once')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'At most C requests (or scenario runs) in flight at once')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'At most R requests per second')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed every random choice (ids, texts, RequestID) for byte-identical output')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Take NOW (Unix milliseconds, up to the year 9999) as the current time for EventTime and RequestTime')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Send every event in the catalogue')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Send every event in the catalogue')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the URL, headers and body that would be sent; send nothing')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not check TLS certificates at all (said on stderr): for a test backend only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show request and answer bodies (human format)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show request and answer bodies (human format)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'deskhook;listen' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address to bind')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port to bind; 0 picks a free one (the ready line tells which)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to bind; 0 picks a free one (the ready line tells which)')
            [CompletionResult]::new('--sdkappid', '--sdkappid', [CompletionResultType]::ParameterName, 'Refuse (403) callbacks whose `SdkAppid` is not ID')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Check `Sign`/`RequestTime` (Tencent) and `Authorization: Bearer` (CEC) against TOKEN')
            [CompletionResult]::new('--tolerance', '--tolerance', [CompletionResultType]::ParameterName, 'Accepted clock difference for `RequestTime`')
            [CompletionResult]::new('--respond', '--respond', [CompletionResultType]::ParameterName, 'Answer: ok (documented success envelope), fail (documented failure envelope) or a JSON FILE')
            [CompletionResult]::new('--agents', '--agents', [CompletionResultType]::ParameterName, 'Agents returned to ChatBot.OnAssignAgent/OnAssignHuman (comma-separated)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Agent group returned to ChatBot.OnAssignAgent/OnAssignHuman')
            [CompletionResult]::new('--vars', '--vars', [CompletionResultType]::ParameterName, 'Variables returned to Chatbot.InterfaceInvocation (k=v,k2=v2)')
            [CompletionResult]::new('--delay', '--delay', [CompletionResultType]::ParameterName, 'Wait DUR before answering (to test the platform''s 2 s limit)')
            [CompletionResult]::new('--save', '--save', [CompletionResultType]::ParameterName, 'Append every exchange to FILE as one JSON line (see fixtures/capture.schema.json)')
            [CompletionResult]::new('--forward-to', '--forward-to', [CompletionResultType]::ParameterName, 'Relay each callback unchanged to URL, hand its answer back, and validate that answer')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout for --forward-to')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request (''Name: value''), for an API gateway. Repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request (''Name: value''), for an API gateway. Repeatable')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)')
            [CompletionResult]::new('--max-body', '--max-body', [CompletionResultType]::ParameterName, 'Largest accepted body, 1 byte to 1 GiB; larger ones get 413')
            [CompletionResult]::new('--max-requests', '--max-requests', [CompletionResultType]::ParameterName, 'Stop after N callbacks (for scripts and tests)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--inspect-port', '--inspect-port', [CompletionResultType]::ParameterName, 'Port of the inspector; 0 (the default) picks a free one')
            [CompletionResult]::new('--inspect-history', '--inspect-history', [CompletionResultType]::ParameterName, 'With --save: show the last N exchanges the capture already holds when listen starts')
            [CompletionResult]::new('--inspect-keep', '--inspect-keep', [CompletionResultType]::ParameterName, 'The inspector keeps the last N exchanges in memory (older ones leave the page)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never')
            [CompletionResult]::new('--fsync', '--fsync', [CompletionResultType]::ParameterName, 'With --save: answer only once the line is on disk (fdatasync), not just written')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not check TLS certificates at all (said on stderr): for a test backend only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show request and answer bodies (human format)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show request and answer bodies (human format)')
            [CompletionResult]::new('--inspect', '--inspect', [CompletionResultType]::ParameterName, 'Also serve a web inspector (on loopback, unless --host says otherwise); its URL is in the ready line')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'deskhook;replay' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Where to send the callbacks again (CEC pushes: <URL>/webhooks/v1/messages, or URL itself when it already ends with that path)')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Replay only these events (repeatable; event ids as in `deskhook events`)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Token for fresh `Sign`/`RequestTime` (Tencent) and Bearer (CEC)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on an answer after DUR (the platform''s limit is 2s); a slower answer is a transport failure')
            [CompletionResult]::new('--max-latency', '--max-latency', [CompletionResultType]::ParameterName, 'An answer slower than DUR counts as a failed check (default: the timeout)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Re-deliver a failed callback up to N times (at most 100), with the same RequestID, as the platform does')
            [CompletionResult]::new('--backoff', '--backoff', [CompletionResultType]::ParameterName, 'Wait DUR before the first retry, doubling before each further one')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'What the answers must say: ok (a success envelope), fail (a failure envelope), refused (a 4xx or a failure envelope), or any well-formed envelope')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request (''Name: value''), for an API gateway. Repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request (''Name: value''), for an API gateway. Repeatable')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'At most C requests (or scenario runs) in flight at once')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'At most C requests (or scenario runs) in flight at once')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'At most R requests per second')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed every random choice (ids, texts, RequestID) for byte-identical output')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Take NOW (Unix milliseconds, up to the year 9999) as the current time for EventTime and RequestTime')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Replay the whole capture N times: the same callbacks each time, ids included (bodies byte for byte, the captured RequestID kept)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Replay the whole capture N times: the same callbacks each time, ids included (bodies byte for byte, the captured RequestID kept)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never')
            [CompletionResult]::new('--as-is', '--as-is', [CompletionResultType]::ParameterName, 'Send the captured query untouched (stale Sign/RequestTime included)')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail on the first malformed capture line instead of reporting and skipping it')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not check TLS certificates at all (said on stderr): for a test backend only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show request and answer bodies (human format)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show request and answer bodies (human format)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'deskhook;flow' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The callback URL (optional: without it, an in-process receiver on a loopback port answers)')
            [CompletionResult]::new('--sdkappid', '--sdkappid', [CompletionResultType]::ParameterName, 'SDKAppID sent as the `SdkAppid` URL parameter')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Callback token: Tencent `Sign`/`RequestTime` parameters, CEC `Authorization: Bearer`')
            [CompletionResult]::new('--client-ip', '--client-ip', [CompletionResultType]::ParameterName, 'The `ClientIP` URL parameter')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'The `OptPlatform` URL parameter (Desk''s value is undocumented: RESTAPI by default)')
            [CompletionResult]::new('--query', '--query', [CompletionResultType]::ParameterName, 'Add or replace a URL parameter (for example RequestID=fixed-1). Repeatable')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on an answer after DUR (the platform''s limit is 2s); a slower answer is a transport failure')
            [CompletionResult]::new('--max-latency', '--max-latency', [CompletionResultType]::ParameterName, 'An answer slower than DUR counts as a failed check (default: the timeout)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Re-deliver a failed callback up to N times (at most 100), with the same RequestID, as the platform does')
            [CompletionResult]::new('--backoff', '--backoff', [CompletionResultType]::ParameterName, 'Wait DUR before the first retry, doubling before each further one')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'What the answers must say: ok (a success envelope), fail (a failure envelope), refused (a 4xx or a failure envelope), or any well-formed envelope')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request (''Name: value''), for an API gateway. Repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request (''Name: value''), for an API gateway. Repeatable')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Send each event (or run the scenario) N times, each with fresh ids')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Send each event (or run the scenario) N times, each with fresh ids')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'At most C requests (or scenario runs) in flight at once')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'At most C requests (or scenario runs) in flight at once')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'At most R requests per second')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed every random choice (ids, texts, RequestID) for byte-identical output')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Take NOW (Unix milliseconds, up to the year 9999) as the current time for EventTime and RequestTime')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print each request that would be sent, answered by the built-in receiver''s logic; send nothing')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not check TLS certificates at all (said on stderr): for a test backend only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show request and answer bodies (human format)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show request and answer bodies (human format)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'deskhook;flows' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The same as --format json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'deskhook;events' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Only this provider''s events')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The same as --format json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'deskhook;validate' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never')
            [CompletionResult]::new('--request', '--request', [CompletionResultType]::ParameterName, 'The callback body the platform sends')
            [CompletionResult]::new('--response', '--response', [CompletionResultType]::ParameterName, 'The answer the backend returns')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'deskhook;schema' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never')
            [CompletionResult]::new('--request', '--request', [CompletionResultType]::ParameterName, 'The callback body the platform sends')
            [CompletionResult]::new('--response', '--response', [CompletionResultType]::ParameterName, 'The answer the backend returns')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'deskhook;sign' {
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'The callback token configured in the console')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'RequestTime in Unix seconds (default: now)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The same as --format json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'deskhook;verify' {
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'The callback token configured in the console')
            [CompletionResult]::new('--sdkappid', '--sdkappid', [CompletionResultType]::ParameterName, 'Also check that `SdkAppid` is ID')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Take SECS (Unix seconds) as the current time')
            [CompletionResult]::new('--tolerance', '--tolerance', [CompletionResultType]::ParameterName, 'Accepted clock difference for `RequestTime`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'deskhook;audit' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The backend''s callback URL (CEC: the base URL, as entered in AICC)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Which platform''s callbacks to probe')
            [CompletionResult]::new('--sdkappid', '--sdkappid', [CompletionResultType]::ParameterName, 'SDKAppID sent as the `SdkAppid` URL parameter')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Callback token: Tencent `Sign`/`RequestTime` parameters, CEC `Authorization: Bearer`')
            [CompletionResult]::new('--client-ip', '--client-ip', [CompletionResultType]::ParameterName, 'The `ClientIP` URL parameter')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'The `OptPlatform` URL parameter (Desk''s value is undocumented: RESTAPI by default)')
            [CompletionResult]::new('--query', '--query', [CompletionResultType]::ParameterName, 'Add or replace a URL parameter (for example RequestID=fixed-1). Repeatable')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request (''Name: value''), for an API gateway. Repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request (''Name: value''), for an API gateway. Repeatable')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Run only this probe (repeatable; `--list` shows the ids)')
            [CompletionResult]::new('--skip', '--skip', [CompletionResultType]::ParameterName, 'Do not run this probe (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on an answer after DUR (the platform''s limit is 2s); `burst` must fit in it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout: human (a line per probe), json (a record per probe, then a summary) or junit (a test case per probe)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not check TLS certificates at all (said on stderr): for a test backend only')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail the run on warnings too (a refusal by a 5xx, a narrow clock window, …)')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List every probe: the attack or tolerance it covers and the documented rule it rests on')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show every callback of each probe: URL, answer, violations (human and json)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show every callback of each probe: URL, answer, violations (human and json)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'deskhook;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'deskhook;help' {
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send realistic, signed callbacks and validate the answers')
            [CompletionResult]::new('listen', 'listen', [CompletionResultType]::ParameterValue, 'Run the built-in receiver: inspect, verify, answer and capture incoming callbacks')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Send captured callbacks again, bodies byte-for-byte as captured')
            [CompletionResult]::new('flow', 'flow', [CompletionResultType]::ParameterValue, 'Play a whole conversation, each step driven by the backend''s answers')
            [CompletionResult]::new('flows', 'flows', [CompletionResultType]::ParameterValue, 'List the built-in conversation scenarios')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'List every event deskhook can send')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check one JSON document against an event''s request or response envelope, offline')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema deskhook validates an event''s request or response against')
            [CompletionResult]::new('sign', 'sign', [CompletionResultType]::ParameterValue, 'Print RequestTime and Sign for a token, as the platform computes them')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check the signature of a full callback URL and say exactly what is wrong')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Probe one backend: does it refuse forged, stale and foreign callbacks, and take odd valid ones?')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'deskhook;help;send' {
            break
        }
        'deskhook;help;listen' {
            break
        }
        'deskhook;help;replay' {
            break
        }
        'deskhook;help;flow' {
            break
        }
        'deskhook;help;flows' {
            break
        }
        'deskhook;help;events' {
            break
        }
        'deskhook;help;validate' {
            break
        }
        'deskhook;help;schema' {
            break
        }
        'deskhook;help;sign' {
            break
        }
        'deskhook;help;verify' {
            break
        }
        'deskhook;help;audit' {
            break
        }
        'deskhook;help;completions' {
            break
        }
        'deskhook;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
