# Pure targets: libraries that hold decisions only (no SQLite, systemd, Asio,
# network or clock) and must stay so. omswatch_require_links(TARGET ALLOWED...)
# fails the configuration when TARGET, or an omswatch target it links, links
# anything not in ALLOWED. The check is deferred to the end of the
# configuration, so that a target_link_libraries() added from another folder
# is seen too.

function(omswatch_check_links target)
  set(allowed ${ARGN})
  set(pending ${target})
  set(seen)
  while(pending)
    list(POP_FRONT pending current)
    if(current IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${current})
    get_target_property(type ${current} TYPE)
    set(links)
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(direct ${current} LINK_LIBRARIES)
      if(direct)
        list(APPEND links ${direct})
      endif()
    endif()
    get_target_property(interface ${current} INTERFACE_LINK_LIBRARIES)
    if(interface)
      list(APPEND links ${interface})
    endif()
    foreach(link IN LISTS links)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" link "${link}")
      if(link MATCHES "^::@")  # the folder markers of a link added from another folder
        continue()
      endif()
      if(NOT link IN_LIST allowed)
        list(JOIN allowed ", " allowed_text)
        message(FATAL_ERROR "${target} must link only ${allowed_text}, but ${current} links "
                            "${link}")
      endif()
      if(link MATCHES "^omswatch_")
        list(APPEND pending ${link})
      endif()
    endforeach()
  endwhile()
endfunction()

function(omswatch_require_links target)
  cmake_language(EVAL CODE "
    cmake_language(DEFER DIRECTORY [[${PROJECT_SOURCE_DIR}]]
                   CALL omswatch_check_links [[${target}]] ${ARGN})")
endfunction()
