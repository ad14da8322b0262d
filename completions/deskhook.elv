
use builtin;
use str;

set edit:completion:arg-completer[deskhook] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'deskhook'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'deskhook'= {
            cand --color 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand send 'Send realistic, signed callbacks and validate the answers'
            cand listen 'Run the built-in receiver: inspect, verify, answer and capture incoming callbacks'
            cand replay 'Send captured callbacks again, bodies byte-for-byte as captured'
            cand flow 'Play a whole conversation, each step driven by the backend''s answers'
            cand flows 'List the built-in conversation scenarios'
            cand events 'List every event deskhook can send'
            cand validate 'Check one JSON document against an event''s request or response envelope, offline'
            cand schema 'Print the JSON Schema deskhook validates an event''s request or response against'
            cand sign 'Print RequestTime and Sign for a token, as the platform computes them'
            cand verify 'Check the signature of a full callback URL and say exactly what is wrong'
            cand audit 'Probe one backend: does it refuse forged, stale and foreign callbacks, and take odd valid ones?'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'deskhook;send'= {
            cand --to 'The callback URL (optional: without it, an in-process receiver on a loopback port answers)'
            cand --provider 'Send every event of one provider'
            cand --set 'Override a body field: dotted PATH (`MsgBody.0.MsgContent.Text`), VALUE parsed as JSON when it parses, else a string. Repeatable'
            cand --unset 'Remove a body field (dotted PATH). Repeatable'
            cand --body 'Send this JSON body instead of the built-in one (still signed, still validated); `-` reads stdin'
            cand --sdkappid 'SDKAppID sent as the `SdkAppid` URL parameter'
            cand --token 'Callback token: Tencent `Sign`/`RequestTime` parameters, CEC `Authorization: Bearer`'
            cand --client-ip 'The `ClientIP` URL parameter'
            cand --platform 'The `OptPlatform` URL parameter (Desk''s value is undocumented: RESTAPI by default)'
            cand --query 'Add or replace a URL parameter (for example RequestID=fixed-1). Repeatable'
            cand --timeout 'Give up on an answer after DUR (the platform''s limit is 2s); a slower answer is a transport failure'
            cand --max-latency 'An answer slower than DUR counts as a failed check (default: the timeout)'
            cand --retries 'Re-deliver a failed callback up to N times (at most 100), with the same RequestID, as the platform does'
            cand --backoff 'Wait DUR before the first retry, doubling before each further one'
            cand --expect 'What the answers must say: ok (a success envelope), fail (a failure envelope), refused (a 4xx or a failure envelope), or any well-formed envelope'
            cand -H 'Add a header to every request (''Name: value''), for an API gateway. Repeatable'
            cand --header 'Add a header to every request (''Name: value''), for an API gateway. Repeatable'
            cand --cacert 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)'
            cand -n 'Send each event (or run the scenario) N times, each with fresh ids'
            cand --count 'Send each event (or run the scenario) N times, each with fresh ids'
            cand -c 'At most C requests (or scenario runs) in flight at once'
            cand --concurrency 'At most C requests (or scenario runs) in flight at once'
            cand --rate 'At most R requests per second'
            cand --seed 'Seed every random choice (ids, texts, RequestID) for byte-identical output'
            cand --now 'Take NOW (Unix milliseconds, up to the year 9999) as the current time for EventTime and RequestTime'
            cand --format 'Output format on stdout'
            cand --color 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never'
            cand -a 'Send every event in the catalogue'
            cand --all 'Send every event in the catalogue'
            cand --dry-run 'Print the URL, headers and body that would be sent; send nothing'
            cand --insecure 'Do not check TLS certificates at all (said on stderr): for a test backend only'
            cand -v 'Show request and answer bodies (human format)'
            cand --verbose 'Show request and answer bodies (human format)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'deskhook;listen'= {
            cand --host 'Address to bind'
            cand -p 'Port to bind; 0 picks a free one (the ready line tells which)'
            cand --port 'Port to bind; 0 picks a free one (the ready line tells which)'
            cand --sdkappid 'Refuse (403) callbacks whose `SdkAppid` is not ID'
            cand --token 'Check `Sign`/`RequestTime` (Tencent) and `Authorization: Bearer` (CEC) against TOKEN'
            cand --tolerance 'Accepted clock difference for `RequestTime`'
            cand --respond 'Answer: ok (documented success envelope), fail (documented failure envelope) or a JSON FILE'
            cand --agents 'Agents returned to ChatBot.OnAssignAgent/OnAssignHuman (comma-separated)'
            cand --group 'Agent group returned to ChatBot.OnAssignAgent/OnAssignHuman'
            cand --vars 'Variables returned to Chatbot.InterfaceInvocation (k=v,k2=v2)'
            cand --delay 'Wait DUR before answering (to test the platform''s 2 s limit)'
            cand --save 'Append every exchange to FILE as one JSON line (see fixtures/capture.schema.json)'
            cand --forward-to 'Relay each callback unchanged to URL, hand its answer back, and validate that answer'
            cand --timeout 'Timeout for --forward-to'
            cand -H 'Add a header to every request (''Name: value''), for an API gateway. Repeatable'
            cand --header 'Add a header to every request (''Name: value''), for an API gateway. Repeatable'
            cand --cacert 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)'
            cand --max-body 'Largest accepted body, 1 byte to 1 GiB; larger ones get 413'
            cand --max-requests 'Stop after N callbacks (for scripts and tests)'
            cand --format 'Output format on stdout'
            cand --inspect-port 'Port of the inspector; 0 (the default) picks a free one'
            cand --inspect-history 'With --save: show the last N exchanges the capture already holds when listen starts'
            cand --inspect-keep 'The inspector keeps the last N exchanges in memory (older ones leave the page)'
            cand --color 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never'
            cand --fsync 'With --save: answer only once the line is on disk (fdatasync), not just written'
            cand --insecure 'Do not check TLS certificates at all (said on stderr): for a test backend only'
            cand -v 'Show request and answer bodies (human format)'
            cand --verbose 'Show request and answer bodies (human format)'
            cand --inspect 'Also serve a web inspector (on loopback, unless --host says otherwise); its URL is in the ready line'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'deskhook;replay'= {
            cand --to 'Where to send the callbacks again (CEC pushes: <URL>/webhooks/v1/messages, or URL itself when it already ends with that path)'
            cand --only 'Replay only these events (repeatable; event ids as in `deskhook events`)'
            cand --token 'Token for fresh `Sign`/`RequestTime` (Tencent) and Bearer (CEC)'
            cand --timeout 'Give up on an answer after DUR (the platform''s limit is 2s); a slower answer is a transport failure'
            cand --max-latency 'An answer slower than DUR counts as a failed check (default: the timeout)'
            cand --retries 'Re-deliver a failed callback up to N times (at most 100), with the same RequestID, as the platform does'
            cand --backoff 'Wait DUR before the first retry, doubling before each further one'
            cand --expect 'What the answers must say: ok (a success envelope), fail (a failure envelope), refused (a 4xx or a failure envelope), or any well-formed envelope'
            cand -H 'Add a header to every request (''Name: value''), for an API gateway. Repeatable'
            cand --header 'Add a header to every request (''Name: value''), for an API gateway. Repeatable'
            cand --cacert 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)'
            cand -c 'At most C requests (or scenario runs) in flight at once'
            cand --concurrency 'At most C requests (or scenario runs) in flight at once'
            cand --rate 'At most R requests per second'
            cand --seed 'Seed every random choice (ids, texts, RequestID) for byte-identical output'
            cand --now 'Take NOW (Unix milliseconds, up to the year 9999) as the current time for EventTime and RequestTime'
            cand --format 'Output format on stdout'
            cand -n 'Replay the whole capture N times: the same callbacks each time, ids included (bodies byte for byte, the captured RequestID kept)'
            cand --count 'Replay the whole capture N times: the same callbacks each time, ids included (bodies byte for byte, the captured RequestID kept)'
            cand --color 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never'
            cand --as-is 'Send the captured query untouched (stale Sign/RequestTime included)'
            cand --strict 'Fail on the first malformed capture line instead of reporting and skipping it'
            cand --insecure 'Do not check TLS certificates at all (said on stderr): for a test backend only'
            cand -v 'Show request and answer bodies (human format)'
            cand --verbose 'Show request and answer bodies (human format)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'deskhook;flow'= {
            cand --to 'The callback URL (optional: without it, an in-process receiver on a loopback port answers)'
            cand --sdkappid 'SDKAppID sent as the `SdkAppid` URL parameter'
            cand --token 'Callback token: Tencent `Sign`/`RequestTime` parameters, CEC `Authorization: Bearer`'
            cand --client-ip 'The `ClientIP` URL parameter'
            cand --platform 'The `OptPlatform` URL parameter (Desk''s value is undocumented: RESTAPI by default)'
            cand --query 'Add or replace a URL parameter (for example RequestID=fixed-1). Repeatable'
            cand --timeout 'Give up on an answer after DUR (the platform''s limit is 2s); a slower answer is a transport failure'
            cand --max-latency 'An answer slower than DUR counts as a failed check (default: the timeout)'
            cand --retries 'Re-deliver a failed callback up to N times (at most 100), with the same RequestID, as the platform does'
            cand --backoff 'Wait DUR before the first retry, doubling before each further one'
            cand --expect 'What the answers must say: ok (a success envelope), fail (a failure envelope), refused (a 4xx or a failure envelope), or any well-formed envelope'
            cand -H 'Add a header to every request (''Name: value''), for an API gateway. Repeatable'
            cand --header 'Add a header to every request (''Name: value''), for an API gateway. Repeatable'
            cand --cacert 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)'
            cand -n 'Send each event (or run the scenario) N times, each with fresh ids'
            cand --count 'Send each event (or run the scenario) N times, each with fresh ids'
            cand -c 'At most C requests (or scenario runs) in flight at once'
            cand --concurrency 'At most C requests (or scenario runs) in flight at once'
            cand --rate 'At most R requests per second'
            cand --seed 'Seed every random choice (ids, texts, RequestID) for byte-identical output'
            cand --now 'Take NOW (Unix milliseconds, up to the year 9999) as the current time for EventTime and RequestTime'
            cand --format 'Output format on stdout'
            cand --color 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never'
            cand --dry-run 'Print each request that would be sent, answered by the built-in receiver''s logic; send nothing'
            cand --insecure 'Do not check TLS certificates at all (said on stderr): for a test backend only'
            cand -v 'Show request and answer bodies (human format)'
            cand --verbose 'Show request and answer bodies (human format)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'deskhook;flows'= {
            cand --format 'Output format on stdout'
            cand --color 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never'
            cand --json 'The same as --format json'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'deskhook;events'= {
            cand --format 'Output format on stdout'
            cand --provider 'Only this provider''s events'
            cand --color 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never'
            cand --json 'The same as --format json'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'deskhook;validate'= {
            cand --format 'Output format'
            cand --color 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never'
            cand --request 'The callback body the platform sends'
            cand --response 'The answer the backend returns'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'deskhook;schema'= {
            cand --color 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never'
            cand --request 'The callback body the platform sends'
            cand --response 'The answer the backend returns'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'deskhook;sign'= {
            cand --token 'The callback token configured in the console'
            cand --time 'RequestTime in Unix seconds (default: now)'
            cand --format 'Output format on stdout'
            cand --color 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never'
            cand --json 'The same as --format json'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'deskhook;verify'= {
            cand --token 'The callback token configured in the console'
            cand --sdkappid 'Also check that `SdkAppid` is ID'
            cand --now 'Take SECS (Unix seconds) as the current time'
            cand --tolerance 'Accepted clock difference for `RequestTime`'
            cand --color 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'deskhook;audit'= {
            cand --to 'The backend''s callback URL (CEC: the base URL, as entered in AICC)'
            cand --provider 'Which platform''s callbacks to probe'
            cand --sdkappid 'SDKAppID sent as the `SdkAppid` URL parameter'
            cand --token 'Callback token: Tencent `Sign`/`RequestTime` parameters, CEC `Authorization: Bearer`'
            cand --client-ip 'The `ClientIP` URL parameter'
            cand --platform 'The `OptPlatform` URL parameter (Desk''s value is undocumented: RESTAPI by default)'
            cand --query 'Add or replace a URL parameter (for example RequestID=fixed-1). Repeatable'
            cand -H 'Add a header to every request (''Name: value''), for an API gateway. Repeatable'
            cand --header 'Add a header to every request (''Name: value''), for an API gateway. Repeatable'
            cand --cacert 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)'
            cand --only 'Run only this probe (repeatable; `--list` shows the ids)'
            cand --skip 'Do not run this probe (repeatable)'
            cand --timeout 'Give up on an answer after DUR (the platform''s limit is 2s); `burst` must fit in it'
            cand --format 'Output format on stdout: human (a line per probe), json (a record per probe, then a summary) or junit (a test case per probe)'
            cand --color 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never'
            cand --insecure 'Do not check TLS certificates at all (said on stderr): for a test backend only'
            cand --strict 'Fail the run on warnings too (a refusal by a 5xx, a narrow clock window, …)'
            cand --list 'List every probe: the attack or tolerance it covers and the documented rule it rests on'
            cand -v 'Show every callback of each probe: URL, answer, violations (human and json)'
            cand --verbose 'Show every callback of each probe: URL, answer, violations (human and json)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'deskhook;completions'= {
            cand --color 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'deskhook;help'= {
            cand send 'Send realistic, signed callbacks and validate the answers'
            cand listen 'Run the built-in receiver: inspect, verify, answer and capture incoming callbacks'
            cand replay 'Send captured callbacks again, bodies byte-for-byte as captured'
            cand flow 'Play a whole conversation, each step driven by the backend''s answers'
            cand flows 'List the built-in conversation scenarios'
            cand events 'List every event deskhook can send'
            cand validate 'Check one JSON document against an event''s request or response envelope, offline'
            cand schema 'Print the JSON Schema deskhook validates an event''s request or response against'
            cand sign 'Print RequestTime and Sign for a token, as the platform computes them'
            cand verify 'Check the signature of a full callback URL and say exactly what is wrong'
            cand audit 'Probe one backend: does it refuse forged, stale and foreign callbacks, and take odd valid ones?'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'deskhook;help;send'= {
        }
        &'deskhook;help;listen'= {
        }
        &'deskhook;help;replay'= {
        }
        &'deskhook;help;flow'= {
        }
        &'deskhook;help;flows'= {
        }
        &'deskhook;help;events'= {
        }
        &'deskhook;help;validate'= {
        }
        &'deskhook;help;schema'= {
        }
        &'deskhook;help;sign'= {
        }
        &'deskhook;help;verify'= {
        }
        &'deskhook;help;audit'= {
        }
        &'deskhook;help;completions'= {
        }
        &'deskhook;help;help'= {
        }
    ]
    $completions[$command]
}
