"""Regenerates chat_template_cases.json: chat templates rendered by Python jinja2 exactly as HF
transformers' apply_chat_template does (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
loopcontrols, HF's tojson, raise_exception), for ChatTemplateTest to compare Jinjava against.

Usage: python3 make_chat_template_cases.py > chat_template_cases.json  (needs only jinja2)
"""
import json
import sys

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


ENV = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
ENV.filters["tojson"] = tojson
ENV.globals["raise_exception"] = raise_exception

TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}

TEMPLATES = {
    # fixtures/model/tokenizer_config.json (Meta Llama-3-8B-Instruct)
    "llama3": "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
    # meta-llama/Llama-2-7b-chat-hf
    "llama2": "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",
    # mistralai/Mistral-7B-Instruct-v0.1
    "mistral": "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
    # HuggingFaceH4/zephyr-7b-beta
    "zephyr": "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}",
    # ChatML (e.g. teknium/OpenHermes-2.5-Mistral-7B)
    "chatml": "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    # google/gemma-7b-it
    "gemma": "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}",
    # microsoft/Phi-3-mini-4k-instruct
    "phi3": "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
    # shaped like meta-llama/Llama-3.1-8B-Instruct (multi-line, whitespace control, comments, tests)
    "llama31_style": """{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- set date_string = "26 Jul 2024" %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{#- System message + builtin tools #}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if builtin_tools is defined or tools is not none %}
    {{- "Environment: ipython\\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\\n" }}
{{- "Today Date: " + date_string + "\\n\\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- else %}
        {{- raise_exception("tool messages are not part of this test") }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
{%- endif %}
""",
    # shaped like Qwen2.5/Qwen3 (namespace, reverse loop, str methods, tojson, loop.last)
    "qwen_style": """{%- if messages[0].role == 'system' %}
    {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
{%- else %}
    {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
{%- endif %}
{%- set ns = namespace(last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if message.role == "user" and not message.content.startswith('<tool_response>') %}
        {%- set ns.last_query_index = index %}
        {%- break %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- set content = message.content %}
    {%- if message.role == "assistant" and '</think>' in content %}
        {%- set content = content.split('</think>')[-1].lstrip('\\n') %}
    {%- endif %}
    {%- if message.role != "system" %}
        {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
{{- '<!-- last user turn: ' ~ ns.last_query_index ~ ' -->' }}
""",
    "whitespace": "a\n   {# c #}\nb\n  {% if true +%}\nx{% endif %}\n\t {% if true %}\r\nq{%endif%}  {% if true %}z{% endif %}\n    {%- if true -%}  y  {%- endif %} {{- ' w ' -}} \n  {%+ if true %}v{% endif %}\n{# comment -#}   \n  u\n\n",
    "features": """{% for m in messages %}
{{ loop.index }}/{{ loop.length }} {{ m.role | upper }} {{ m['content'] | length }}{% if loop.first %} first{% endif %}{% if loop.last %} last{% endif %}

  {% if m.content is string %}string{% endif %} {% if m.content.endswith('?') %}question{% endif %} {{ m.content.replace('o', '0') }}
{% endfor %}
json: {{ messages | tojson }}
indented: {{ messages[0] | tojson(indent=2) }}
roles: {{ messages | map(attribute='role') | join(', ') }}
users: {{ messages | selectattr('role', 'equalto', 'user') | list | length }}
{{ 'x' ~ 1 ~ 'y' }} {{ undefined_thing | default('dflt') }} {{ messages[-1]['role'] }} {{ 'A b C'.lower().title() }}
{% for i in range(3) %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}
{{ 'a,b,,c'.split(',') | join('|') }} {{ '  x  y  '.split() | join('|') }} {{ 'Hello World'.split(' ', 1)[1] }}
{{ messages[::-1] | map(attribute='role') | join(',') }}
{%- set ns = namespace(n=messages|length - 1, seen=false) %}
{%- for m in messages %}{% if m.role == 'user' %}{% set ns.seen = true %}{% endif %}{% endfor %}
{{ ns.n }} {% if ns.seen %}seen{% endif %} {{ (messages[0].content ~ '|') | trim('|') }} {{ '%s-%d' | format('a', 3) }}
""",
}

MESSAGES = {
    "system_user": [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "Name three colours of the rainbow."},
    ],
    "multi_turn": [
        {"role": "user", "content": "  Hello there!\u00a0\n"},
        {"role": "assistant", "content": "<think>hm</think>\n\nHi \u2014 how can I help? \U0001F600 "},
        {"role": "user", "content": "Tell me a \"joke\" about café\tlife\\ n\u0001?"},
    ],
    "user_only": [{"role": "user", "content": "What is 2+2?"}],
    "bad_alternation": [
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
    ],
}


def render(template, messages, add_generation_prompt):
    compiled = ENV.from_string(template)
    return compiled.render(messages=messages, tools=None, documents=None,
                           add_generation_prompt=add_generation_prompt, **TOKENS)


def main():
    cases = []
    for name, template in TEMPLATES.items():
        for messages_name, messages in MESSAGES.items():
            if name == "features" and messages_name == "bad_alternation":
                continue
            for agp in (False, True):
                case = {"template": name, "messages": messages_name, "add_generation_prompt": agp}
                try:
                    case["expected"] = render(template, messages, agp)
                except jinja2.exceptions.TemplateError as e:
                    case["expected_error"] = str(e)
                cases.append(case)
    json.dump({"variables": TOKENS, "templates": TEMPLATES, "messages": MESSAGES, "cases": cases},
              sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
